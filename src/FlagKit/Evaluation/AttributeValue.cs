using System.Globalization;
using FlagKit.Versioning;

namespace FlagKit.Evaluation;

/// <summary>
/// One context attribute: its text, its number when it is one, and its IP address parsed on first use.
/// </summary>
/// <remarks>
/// Created when the context is built. The IP and version caches are filled lazily by whichever evaluation needs it first; two
/// threads racing to fill it write identical values, and the state is published after the value with a volatile
/// write, so a reader that sees the state set also sees the value.
/// </remarks>
internal sealed class AttributeValue
{
    private const int Unknown = 0;
    private const int Valid = 1;
    private const int Invalid = 2;

    private int _ipState;
    private IpValue _ip;
    private int _versionState;
    private SemanticVersion _version;

    private AttributeValue(string text, double number, bool isNumber)
    {
        Text = text;
        Hash = TextHash.Of(text);
        Number = number;
        IsNumber = isNumber;
    }

    /// <summary>The value as text (numbers in their shortest round-trip invariant form).</summary>
    public string Text { get; }

    /// <summary>
    /// <see cref="TextHash"/> of <see cref="Text"/>, computed once when the context is built, so that matching the
    /// value against any set of ids or values (a <see cref="TextSet"/> or <see cref="TextMap{TValue}"/>) never hashes
    /// it again.
    /// </summary>
    public int Hash { get; }

    /// <summary>The value as a number, when <see cref="IsNumber"/>.</summary>
    public double Number { get; }

    /// <summary>Whether the value is a number or text that reads as one (invariant culture).</summary>
    public bool IsNumber { get; }

    public static AttributeValue? FromText(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var isNumber = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number);
        return new AttributeValue(text, isNumber ? number : 0, isNumber);
    }

    public static AttributeValue FromNumber(double number) =>
        new(number.ToString("R", CultureInfo.InvariantCulture), number, double.IsFinite(number));

    public bool TryGetIp(out IpValue ip) => TryGetParsed(ref _ipState, ref _ip, Text, IpValue.TryParse, out ip);

    public bool TryGetVersion(out SemanticVersion version) =>
        TryGetParsed(ref _versionState, ref _version, Text, SemanticVersion.TryParse, out version);

    private delegate bool Parser<T>(ReadOnlySpan<char> text, out T value);

    /// <summary>
    /// Parses <paramref name="text"/> once and caches the outcome. Racing threads may both parse (the same text, to the
    /// same value); the value is written before the state that publishes it, so a reader that sees Valid sees it too.
    /// </summary>
    private static bool TryGetParsed<T>(ref int state, ref T slot, string? text, Parser<T> parse, out T value)
    {
        var seen = Volatile.Read(ref state);
        if (seen == Unknown)
        {
            if (parse(text.AsSpan(), out var parsed))
            {
                slot = parsed;
                seen = Valid;
            }
            else
            {
                seen = Invalid;
            }

            Volatile.Write(ref state, seen);
        }

        value = slot;
        return seen == Valid;
    }

    /// <summary>Reads the value as a date: ISO 8601 text (UTC unless it says otherwise) or a number of Unix seconds.</summary>
    public bool TryGetDate(out long utcTicks)
    {
        if (DateTimeOffset.TryParse(Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            utcTicks = date.UtcTicks;
            return true;
        }

        if (IsNumber && Number is >= -62135596800d and <= 253402300799d)
        {
            utcTicks = DateTimeOffset.UnixEpoch.UtcTicks + (long)(Number * TimeSpan.TicksPerSecond);
            return true;
        }

        utcTicks = 0;
        return false;
    }
}
