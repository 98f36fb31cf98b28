using FlagKit;

namespace SlotGame;

/// <summary>One spin of a slot game: the bonus engine is chosen per player by a flag.</summary>
internal sealed class SlotMachine(FlagClient flags)
{
    /// <summary>Spins for a player and tells which bonus engine paid the bonus round.</summary>
    public SpinResult Spin(EvaluationContext player, Random rng)
    {
        // The hot path: one flag evaluation, no allocation, never throws. If the flag is missing, killed or the
        // file is broken, the player gets the legacy engine (the default) and the game goes on.
        if (flags.IsEnabled("new-bonus-engine", player))
        {
            return new SpinResult(Engine: "new", Win: NewBonusEngine.Play(rng));
        }

        return new SpinResult(Engine: "legacy", Win: LegacyBonusEngine.Play(rng));
    }
}

internal readonly record struct SpinResult(string Engine, decimal Win);

internal static class LegacyBonusEngine
{
    public static decimal Play(Random rng) => rng.Next(0, 100) < 30 ? 2.0m : 0m;
}

internal static class NewBonusEngine
{
    public static decimal Play(Random rng) => rng.Next(0, 1000) < 305 ? 1.95m + (rng.Next(0, 10) / 100m) : 0m;
}
