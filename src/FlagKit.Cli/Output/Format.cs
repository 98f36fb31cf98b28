using System.Globalization;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Cli.Output;

/// <summary>How values read in human output: invariant culture, UTC, short.</summary>
internal static class Format
{
    /// <summary>The arrow between a value before and after a change.</summary>
    public const string Arrow = "→";

    /// <summary>A protobuf timestamp as <see cref="DateTimeOffset"/>, or <c>null</c> when unset.</summary>
    /// <param name="timestamp">The timestamp.</param>
    /// <returns>The instant.</returns>
    public static DateTimeOffset? Instant(Timestamp? timestamp) =>
        timestamp is null || (timestamp.Seconds == 0 && timestamp.Nanos == 0) ? null : timestamp.ToDateTimeOffset();

    /// <summary><c>2026-11-27 11:02:03Z</c>, or <c>-</c>.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The text.</returns>
    public static string Time(DateTimeOffset? instant) =>
        instant is { } i ? i.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    /// <summary>How long ago: <c>4s ago</c>, <c>12m ago</c>, <c>3h ago</c>, <c>2d ago</c>, or <c>-</c>.</summary>
    /// <param name="instant">The instant.</param>
    /// <param name="now">Now.</param>
    /// <returns>The text.</returns>
    public static string Age(DateTimeOffset? instant, DateTimeOffset now)
    {
        if (instant is not { } i)
        {
            return "-";
        }

        var age = now - i;
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age.TotalSeconds < 60 ? $"{(int)age.TotalSeconds}s ago"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes}m ago"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours}h ago"
            : $"{(int)age.TotalDays}d ago";
    }

    /// <summary><c>25%</c>, <c>12.5%</c>, <c>0.01%</c>.</summary>
    /// <param name="percent">The percentage.</param>
    /// <returns>The text.</returns>
    public static string Percent(double percent) => percent.ToString("0.##", CultureInfo.InvariantCulture) + "%";

    /// <summary><c>0.42 s</c>, <c>12.3 s</c>.</summary>
    /// <param name="duration">The duration.</param>
    /// <returns>The text.</returns>
    public static string Seconds(TimeSpan duration) =>
        duration.TotalSeconds.ToString(duration.TotalSeconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Parses a duration: <c>30s</c>, <c>2m</c>, <c>500ms</c>, <c>1h</c>, or a plain number of seconds.</summary>
    /// <param name="text">The text.</param>
    /// <param name="duration">The duration.</param>
    /// <returns>Whether the text was a positive duration.</returns>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 0.001),
            _ when text.EndsWith('s') || text.EndsWith('S') => (text[..^1], 1.0),
            _ when text.EndsWith('m') || text.EndsWith('M') => (text[..^1], 60.0),
            _ when text.EndsWith('h') || text.EndsWith('H') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || value <= 0 || value * scale > TimeSpan.FromDays(1).TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(value * scale);
        return true;
    }
}
