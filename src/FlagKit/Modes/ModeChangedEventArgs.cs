namespace FlagKit;

/// <summary>The operating modes changed: new switches or windows arrived, or one started or ended.</summary>
public sealed class ModeChangedEventArgs : EventArgs
{
    internal ModeChangedEventArgs(long version, DateTimeOffset time, bool timeBoundary)
    {
        Version = version;
        Time = time;
        IsTimeBoundary = timeBoundary;
    }

    /// <summary>The version of the modes served now (rises with every change the server makes).</summary>
    public long Version { get; }

    /// <summary>When the change took effect, by the client's clock.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>
    /// True when nothing new arrived but a switch ended or a window started or ended (by the client's clock, even
    /// without the server); false when new modes arrived.
    /// </summary>
    public bool IsTimeBoundary { get; }
}
