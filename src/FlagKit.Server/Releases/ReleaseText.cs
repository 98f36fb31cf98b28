using System.Globalization;

namespace FlagKit.Server.Releases;

/// <summary>How a release writes its figures: "2.4 %", "12 000", "+167 %", "52.3 ms".</summary>
internal static class ReleaseText
{
    private static readonly NumberFormatInfo Format = new() { NumberGroupSeparator = " ", NumberDecimalSeparator = "." };

    /// <summary>A count with a space between thousands: 12 000.</summary>
    public static string Count(long value) => value.ToString("#,0", Format);

    /// <summary>A rate as a percentage with one decimal: 2.4 %.</summary>
    public static string Rate(double rate) => (rate * 100).ToString(rate < 0.001 && rate > 0 ? "0.00" : "0.0", Format) + " %";

    /// <summary>A signed relative change in whole percent: +167 % (or "n/a" when the base is 0).</summary>
    public static string Change(double value, double baseline) =>
        baseline > 0 ? ((value / baseline - 1) * 100).ToString("+0;-0;0", Format) + " %" : "n/a";

    /// <summary>Milliseconds with one decimal: 52.3 ms.</summary>
    public static string Milliseconds(double value) => value.ToString("0.0", Format) + " ms";

    /// <summary>A duration as minutes and seconds: 4:30.</summary>
    public static string Duration(TimeSpan value) => $"{(int)value.TotalMinutes}:{value.Seconds:00}";

    /// <summary>What a rollback did: "rolled back to 0 %" or "killed".</summary>
    public static string Rollback(RollbackAction action) => action == RollbackAction.Kill ? "killed the flag" : "rolled back to 0 %";
}
