namespace FlagKit.Modes;

/// <summary>One compiled switch or window: a mode for a scope between two instants (UTC ticks).</summary>
/// <param name="Mode">Read-only or maintenance.</param>
/// <param name="StartTicks">When it starts (<see cref="long.MinValue"/> for a switch: in force now).</param>
/// <param name="EndTicks">When it ends (<see cref="long.MaxValue"/>: until switched off).</param>
/// <param name="Scope">Who it applies to.</param>
/// <param name="Window">The window as the app reads it; null for a switch.</param>
internal sealed record ModeEntry(OperatingMode Mode, long StartTicks, long EndTicks, ModeScope Scope, MaintenanceWindow? Window)
{
    /// <summary>Whether it is in force at <paramref name="nowTicks"/>.</summary>
    /// <param name="nowTicks">UTC ticks.</param>
    /// <returns>True between its start (inclusive) and its end (exclusive).</returns>
    public bool ActiveAt(long nowTicks) => nowTicks >= StartTicks && nowTicks < EndTicks;
}
