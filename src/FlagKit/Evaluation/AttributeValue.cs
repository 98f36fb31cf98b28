using System.Globalization;

namespace FlagKit.Evaluation;

/// <summary>
/// One context attribute: its text, its number when it is one, and its IP address parsed on first use.
/// </summary>
/// <remarks>
/// Created when the context is built. The IP cache is filled lazily by whichever evaluation needs it first; two
/// threads racing to fill it write identical values, and the state is published after the value with a volatile
/// write, so a reader that sees the state set also sees the value.
/// </remarks>
internal sealed class AttributeValue
{
    private const int IpUnknown = 0;
    private const int IpValid = 1;
    private const int IpInvalid = 2;

    private int _ipState;
    private IpValue _ip;

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
        if (state == IpUnknown)
        {
            if (IpValue.TryParse(Text, out var parsed))
            {
                _ip = parsed;
                Volatile.Write(ref _ipState, IpValid);
            }
            else
            {
                Volatile.Write(ref _ipState, IpInvalid);
            }

            state = _ipState;
        }

        ip = _ip;
        return state == IpValid;
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
