namespace FlagKit.Server.Scheduling;

/// <summary>One occurrence of a freeze window: from <paramref name="Start"/> (inclusive) to <paramref name="End"/> (exclusive).</summary>
/// <param name="Name">The window's name.</param>
/// <param name="Start">The first frozen instant.</param>
/// <param name="End">The first instant after it.</param>
/// <param name="Zone">The window's time zone (null for a one-off window: shown in UTC).</param>
internal sealed record FreezeOccurrence(string Name, DateTimeOffset Start, DateTimeOffset End, TimeZoneInfo? Zone)
{
    /// <summary>Whether <paramref name="instant"/> falls inside.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>True when frozen then.</returns>
    public bool Contains(DateTimeOffset instant) => Start <= instant && instant < End;

    /// <summary>An instant in the window's zone, with its offset.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The text.</returns>
    public string Format(DateTimeOffset instant) => LocalTimes.Format(instant, Zone);
}
