using System.Globalization;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Scheduling;

/// <summary>
/// A freeze window ready to answer "is it frozen at t": one-off (an instant range) or recurring (days of the week and
/// a local start and end in an IANA zone, across daylight saving changes as <see cref="LocalTimes"/> defines).
/// </summary>
/// <remarks>Immutable; safe to share between threads.</remarks>
internal sealed class FreezeRule
{
    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    private readonly HashSet<DayOfWeek> _days;
    private readonly TimeOnly _localStart;
    private readonly TimeOnly _localEnd;

    private FreezeRule(FreezeRecord record, TimeZoneInfo? zone, HashSet<DayOfWeek> days, TimeOnly localStart, TimeOnly localEnd)
    {
        Record = record;
        Zone = zone;
        _days = days;
        _localStart = localStart;
        _localEnd = localEnd;
    }

    /// <summary>The stored window.</summary>
    public FreezeRecord Record { get; }

    /// <summary>The window's zone (null: one-off).</summary>
    public TimeZoneInfo? Zone { get; }

    /// <summary>Whether it recurs every week.</summary>
    public bool IsRecurring => Zone is not null;

    /// <summary>Checks a window and prepares it; the stored days are normalized (<c>sat,sun</c>).</summary>
    /// <param name="record">The window as asked for.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="WriteRefusedException">Invalid: the message names the field and the problem.</exception>
    public static FreezeRule Parse(FreezeRecord record)
    {
        if (!EnvironmentCatalog.IsEnvironmentName(record.Name))
        {
            throw WriteRefusedException.Invalid(
                $"FreezeWindow.name '{record.Name}' is not a valid name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        if (string.IsNullOrEmpty(record.Days))
        {
            return ParseOneOff(record);
        }

        if (record.Start is not null || record.End is not null)
        {
            throw WriteRefusedException.Invalid($"Freeze '{record.Name}': give either start and end (one-off) or days, local times and a time zone (recurring), not both.");
        }

        var days = new HashSet<DayOfWeek>();
        var parts = record.Days.Split(',', StringSplitOptions.TrimEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var index = DayIndex(parts[i]);
            if (index < 0)
            {
                throw WriteRefusedException.Invalid($"Freeze '{record.Name}': FreezeWindow.days[{i}] '{parts[i]}' is not a day of the week (mon, tue, wed, thu, fri, sat, sun).");
            }

            days.Add((DayOfWeek)index);
        }

        var start = ParseLocal(record, record.LocalStart, "local_start");
        var end = ParseLocal(record, record.LocalEnd, "local_end");
        if (start == end)
        {
            throw WriteRefusedException.Invalid($"Freeze '{record.Name}': FreezeWindow.local_end equals local_start ({record.LocalStart}); a window lasts less than a day.");
        }

        if (string.IsNullOrWhiteSpace(record.TimeZone) || !TimeZoneInfo.TryFindSystemTimeZoneById(record.TimeZone, out var zone))
        {
            throw WriteRefusedException.Invalid($"Freeze '{record.Name}': FreezeWindow.time_zone '{record.TimeZone}' is not a known IANA time zone (e.g. Europe/Rome, UTC).");
        }

        var normalized = string.Join(',', days.Order().Select(d => DayNames[(int)d]));
        return new FreezeRule(
            record with { Days = normalized, LocalStart = start.ToString("HH:mm", CultureInfo.InvariantCulture), LocalEnd = end.ToString("HH:mm", CultureInfo.InvariantCulture) },
            zone, days, start, end);
    }

    /// <summary>The occurrence in force at <paramref name="instant"/>, if any.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The occurrence, or null.</returns>
    public FreezeOccurrence? ActiveAt(DateTimeOffset instant) => Occurrences(instant, -2, 0).FirstOrDefault(o => o.Contains(instant));

    /// <summary>The first occurrence that starts after <paramref name="instant"/>, if any.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The occurrence, or null (a one-off window that has started).</returns>
    public FreezeOccurrence? NextAfter(DateTimeOffset instant) => Occurrences(instant, -1, 8).FirstOrDefault(o => o.Start > instant);

    /// <summary>The occurrences starting on the local days from <paramref name="from"/> to <paramref name="to"/> around <paramref name="instant"/>, by start.</summary>
    private IEnumerable<FreezeOccurrence> Occurrences(DateTimeOffset instant, int from, int to)
    {
        if (Zone is null)
        {
            yield return new FreezeOccurrence(Record.Name, Record.Start!.Value, Record.End!.Value, null);
            yield break;
        }

        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);
        for (var d = from; d <= to; d++)
        {
            var day = today.AddDays(d);
            if (!_days.Contains(day.DayOfWeek))
            {
                continue;
            }

            var start = LocalTimes.Resolve(day.ToDateTime(_localStart), Zone, later: false);
            var end = LocalTimes.Resolve((_localEnd > _localStart ? day : day.AddDays(1)).ToDateTime(_localEnd), Zone, later: true);
            if (end > start)
            {
                // A window wholly inside a skipped hour does not happen that day.
                yield return new FreezeOccurrence(Record.Name, start, end, Zone);
            }
        }
    }

    private static FreezeRule ParseOneOff(FreezeRecord record)
    {
        if (record.Start is not { } start || record.End is not { } end)
        {
            throw WriteRefusedException.Invalid($"Freeze '{record.Name}': a one-off window needs FreezeWindow.start and FreezeWindow.end (or days, local times and a time zone to recur).");
        }

        if (end <= start)
        {
            throw WriteRefusedException.Invalid($"Freeze '{record.Name}': FreezeWindow.end ({end:O}) is not after FreezeWindow.start ({start:O}).");
        }

        if (!string.IsNullOrEmpty(record.LocalStart) || !string.IsNullOrEmpty(record.LocalEnd))
        {
            throw WriteRefusedException.Invalid($"Freeze '{record.Name}': local_start and local_end are for recurring windows (with days); a one-off window takes start and end.");
        }

        return new FreezeRule(record with { TimeZone = "" }, null, [], default, default);
    }

    /// <summary>0 (Sunday) to 6 for <c>sat</c> or <c>saturday</c> (any case); -1 otherwise.</summary>
    private static int DayIndex(string text)
    {
        for (var d = 0; d < DayNames.Length; d++)
        {
            if (string.Equals(text, DayNames[d], StringComparison.OrdinalIgnoreCase)
                || string.Equals(text, CultureInfo.InvariantCulture.DateTimeFormat.DayNames[d], StringComparison.OrdinalIgnoreCase))
            {
                return d;
            }
        }

        return -1;
    }

    private static TimeOnly ParseLocal(FreezeRecord record, string text, string field) =>
        TimeOnly.TryParseExact(text, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw WriteRefusedException.Invalid($"Freeze '{record.Name}': FreezeWindow.{field} '{text}' is not a local time HH:mm (e.g. 18:00).");
}
