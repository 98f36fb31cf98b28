using System.Collections.Concurrent;
using FlagKit;
using FlagKit.Versioning;

namespace RoundService;

/// <summary>A round in play: its stake and the calc version it resolved when it started.</summary>
/// <param name="RoundId">The round id (the pin key).</param>
/// <param name="Stake">The stake.</param>
/// <param name="Calc">The calc engine resolution.</param>
internal sealed record Round(string RoundId, decimal Stake, VersionResolution Calc);

/// <summary>The settled event: what a dispute needs to replay the round exactly.</summary>
/// <param name="RoundId">The round id.</param>
/// <param name="Stake">The stake.</param>
/// <param name="Seed">The RNG outcome used.</param>
/// <param name="CalcVer">The calc engine version the round was settled with.</param>
/// <param name="FlagRevision">The flag revision that version came from.</param>
/// <param name="Payout">The payout.</param>
internal sealed record RoundSettled(string RoundId, decimal Stake, int Seed, string CalcVer, long FlagRevision, decimal Payout);

/// <summary>Starts, settles and replays rounds, each on the calc engine version pinned to its round id.</summary>
internal sealed class Rounds(FlagClient flags, CalcEngines engines)
{
    private readonly ConcurrentDictionary<string, Round> _open = new();

    public Round Start(string roundId, EvaluationContext player, decimal stake)
    {
        var calc = flags.GetVersion("calc-engine", player, pinKey: roundId, defaultValue: CalcEngines.Safe);
        var round = new Round(roundId, stake, calc);
        _open[roundId] = round;
        return round;
    }

    public RoundSettled Settle(string roundId, EvaluationContext player, int seed)
    {
        var round = _open[roundId];

        // Resolve again at settlement: the pin returns the version the round started on, even if the flag moved.
        var calc = flags.GetVersion("calc-engine", player, pinKey: roundId, defaultValue: CalcEngines.Safe);
        var payout = engines.For(calc.Version).Payout(round.Stake, seed);
        _open.TryRemove(roundId, out _);
        return new RoundSettled(roundId, round.Stake, seed, calc.Version.ToString(), calc.Revision, payout);
    }

    public RoundSettled Replay(RoundSettled recorded)
    {
        var calc = flags.GetVersionForReplay("calc-engine", SemanticVersion.Parse(recorded.CalcVer));
        var payout = engines.For(calc.Version).Payout(recorded.Stake, recorded.Seed);
        return recorded with { Payout = payout };
    }
}

/// <summary>The calc engines this build ships, by version.</summary>
internal sealed class CalcEngines
{
    public static readonly SemanticVersion Safe = SemanticVersion.Parse("1.3.0");

    private readonly Dictionary<SemanticVersion, ICalcEngine> _engines = new()
    {
        [SemanticVersion.Parse("1.3.0")] = new MultiplierEngine(1.90m),
        [SemanticVersion.Parse("1.4.0")] = new MultiplierEngine(1.95m),
        [SemanticVersion.Parse("1.5.0")] = new MultiplierEngine(1.96m),
    };

    public ICalcEngine For(SemanticVersion version) =>
        _engines.TryGetValue(version, out var engine) ? engine : throw new InvalidOperationException($"No calc engine {version} in this build.");
}

/// <summary>A payout calculation.</summary>
internal interface ICalcEngine
{
    decimal Payout(decimal stake, int seed);
}

/// <summary>A toy engine: every third seed wins stake × multiplier.</summary>
internal sealed class MultiplierEngine(decimal multiplier) : ICalcEngine
{
    public decimal Payout(decimal stake, int seed) => seed % 3 == 0 ? decimal.Round(stake * multiplier, 2) : 0m;
}
