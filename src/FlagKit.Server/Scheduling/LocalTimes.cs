namespace FlagKit.Server.Scheduling;

/// <summary>
/// Turns a wall-clock time of a time zone into an instant, with a defined answer where daylight saving time makes it
/// ambiguous or absent (docs/operations.md, <i>Freezes</i>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A local time that does not exist (the hour skipped when clocks go forward): the instant the clocks jump, i.e.
/// the first instant whose wall clock reads at or after it (02:30 on a spring-forward night in Europe/Rome is 03:00
/// CEST).</item>
/// <item>A local time that happens twice (the hour repeated when clocks go back): the earlier instant for a window's
/// start, the later for its end, so a window never runs shorter than its wall-clock length.</item>
/// </list>
/// </remarks>
internal static class LocalTimes
{
    /// <summary>The instant of <paramref name="local"/> in <paramref name="zone"/>.</summary>
    /// <param name="local">The wall-clock time (its kind is ignored).</param>
    /// <param name="zone">The zone.</param>
    /// <param name="later">For a time that happens twice: the later instant (a window's end) instead of the earlier.</param>
    /// <returns>The instant.</returns>
    public static DateTimeOffset Resolve(DateTime local, TimeZoneInfo zone, bool later)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // Walk back to the last minute before the gap; the jump happens one minute after it.
            var before = local;
            for (var i = 0; i < 24 * 60 && zone.IsInvalidTime(before); i++)
            {
                before = before.AddMinutes(-1);
            }

            return new DateTimeOffset(before, zone.GetUtcOffset(before)).AddMinutes(1);
        }

        if (zone.IsAmbiguousTime(local))
        {
            var offsets = zone.GetAmbiguousTimeOffsets(local);
            var offset = later ? offsets.Min() : offsets.Max();
            return new DateTimeOffset(local, offset);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>An instant as the zone's wall clock shows it, with its offset: <c>2026-12-05T23:00:00+01:00</c>.</summary>
    /// <param name="instant">The instant.</param>
    /// <param name="zone">The zone (null: UTC).</param>
    /// <returns>The text.</returns>
    public static string Format(DateTimeOffset instant, TimeZoneInfo? zone) =>
        TimeZoneInfo.ConvertTime(instant, zone ?? TimeZoneInfo.Utc).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
}
