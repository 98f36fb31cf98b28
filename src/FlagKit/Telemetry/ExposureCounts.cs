using System.Runtime.CompilerServices;
using FlagKit.Evaluation;

namespace FlagKit.Telemetry;

/// <summary>
/// The exposure counters and outcome figures of one compiled flag (one version of a flag, shared by every snapshot that
/// keeps it), created on the flag's first exposure or outcome and read by the client's <see cref="FlagTelemetry"/>; or,
/// with no flag, the counters shared by every flag beyond the tracked cap.
/// </summary>
/// <remarks>
/// <para>Exposures are counted on the evaluation path, so they cost one plain increment: no lock, no interlocked
/// instruction, no allocation. <see cref="Counts"/> holds per variant one counter per <see cref="ExposureStripe"/>, each in
/// its own cache line, and a thread increments its own stripe's counter. The counters only grow; the collector reads
/// them (64-bit reads are atomic) and reports the difference from its last reading, so it never writes where
/// evaluations write. Two threads that share a stripe (there are more threads than stripes) and increment the same
/// counter in the same instant can lose one count.</para>
/// <para>Outcomes are rarer and carry more (a duration), so they use interlocked operations (<see cref="VariantOutcomes"/>).</para>
/// </remarks>
internal sealed class ExposureCounts
{
    /// <summary>Variants the shared untracked counters have room for; a larger untracked flag gets counters of its own.</summary>
    public const int UntrackedVariants = 64;

    private readonly VariantOutcomes?[] _outcomes;

    /// <summary>Creates the counters of a flag, or (<paramref name="flag"/> null) the shared untracked ones.</summary>
    /// <param name="flag">The compiled flag counted; null for the shared untracked counters.</param>
    /// <param name="tracked">False when the tracked flag/variant cap was reached: counted, but reported only as a total.</param>
    public ExposureCounts(CompiledFlag? flag, bool tracked)
    {
        Flag = flag;
        Tracked = tracked;
        var variants = flag is null ? UntrackedVariants : Math.Max(1, flag.Variants.Length);
        Counts = new long[ExposureStripe.ArrayLength(variants)];
        _outcomes = new VariantOutcomes?[tracked ? variants : 0];
        LastTotals = new long[variants];
    }

    /// <summary>The flag counted (null for the shared untracked counters).</summary>
    public CompiledFlag? Flag { get; }

    /// <summary>Whether the flag's figures are reported per variant (within the cap) or only as untracked events.</summary>
    public bool Tracked { get; }

    /// <summary>The counters (layout: <see cref="ExposureStripe"/>).</summary>
    public long[] Counts { get; }

    /// <summary>The exposure totals at the last drain (collector only).</summary>
    public long[] LastTotals { get; }

    /// <summary>Drains in which the flag was no longer in the client's snapshot (collector only).</summary>
    public int DrainsRetired { get; set; }

    /// <summary>Counts one exposure of <paramref name="variant"/> on the calling thread's stripe of <paramref name="counters"/>.</summary>
    /// <param name="counters">A counter array (<see cref="Counts"/>).</param>
    /// <param name="variant">A valid variant index of the flag.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Count(long[] counters, int variant)
    {
        var offset = ExposureStripe.Offset;
        if (offset == 0)
        {
            offset = ExposureStripe.Assign();
        }

        counters[(variant * ExposureStripe.VariantSpan) + offset]++;
    }

    /// <summary>The outcome figures of one variant, created on first use (tracked counters only).</summary>
    /// <param name="variant">A valid variant index.</param>
    /// <returns>The variant's outcomes.</returns>
    public VariantOutcomes Outcomes(int variant)
    {
        var outcomes = Volatile.Read(ref _outcomes[variant]);
        if (outcomes is not null)
        {
            return outcomes;
        }

        var created = new VariantOutcomes();
        return Interlocked.CompareExchange(ref _outcomes[variant], created, null) ?? created;
    }

    /// <summary>The outcome figures of one variant if any were ever recorded.</summary>
    /// <param name="variant">A valid variant index.</param>
    /// <returns>The outcomes, or null.</returns>
    public VariantOutcomes? OutcomesIfAny(int variant) => variant < _outcomes.Length ? Volatile.Read(ref _outcomes[variant]) : null;

    /// <summary>The exposures of one variant counted so far, over all stripes.</summary>
    /// <param name="variant">A valid variant index.</param>
    /// <returns>The total since the counters were created.</returns>
    public long Total(int variant)
    {
        long total = 0;
        var first = (variant * ExposureStripe.VariantSpan) + 1;
        for (var i = first; i < first + ExposureStripe.VariantSpan; i += ExposureStripe.LineLongs)
        {
            total += Volatile.Read(ref Counts[i]);
        }

        return total;
    }

    /// <summary>The exposures counted since the last call, over every variant (the collector's reading).</summary>
    /// <returns>The difference.</returns>
    public long TakeAll()
    {
        long taken = 0;
        for (var v = 0; v < LastTotals.Length; v++)
        {
            var total = Total(v);
            taken += total - LastTotals[v];
            LastTotals[v] = total;
        }

        return taken;
    }
}
