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
        Number = number;
        IsNumber = isNumber;
    }

    /// <summary>The value as text (numbers in their shortest round-trip invariant form).</summary>
    public string Text { get; }

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

    public bool TryGetIp(out IpValue ip)
    {
        var state = Volatile.Read(ref _ipState);
        if (state == Unknown)
        {
            if (IpValue.TryParse(Text, out var parsed))
            {
                _ip = parsed;
                Volatile.Write(ref _ipState, Valid);
            }
            else
            {
                Volatile.Write(ref _ipState, Invalid);
            }

            state = _ipState;
        }

        ip = _ip;
        return state == Valid;
    }

    public bool TryGetVersion(out SemanticVersion version)
    {
        var state = Volatile.Read(ref _versionState);
        if (state == Unknown)
        {
            if (SemanticVersion.TryParse(Text, out var parsed))
            {
                _version = parsed;
                Volatile.Write(ref _versionState, Valid);
            }
            else
            {
                Volatile.Write(ref _versionState, Invalid);
            }

            state = _versionState;
        }

        version = _version;
        return state == Valid;
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
