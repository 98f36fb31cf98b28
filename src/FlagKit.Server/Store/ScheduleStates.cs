namespace FlagKit.Server.Store;

/// <summary>
/// The states of a stored scheduled change: <c>pending</c> → <c>claimed</c> (being applied by one server, for a
/// lease) → <c>applied</c> | <c>failed</c> | <c>skipped</c>; <c>pending</c> → <c>cancelled</c>. A claim whose lease ran
/// out (the server died while applying) is claimed again; the write's idempotency key makes it apply once.
/// </summary>
internal static class ScheduleStates
{
    /// <summary>Waiting for its time.</summary>
    public const string Pending = "pending";

    /// <summary>Being applied by one server until its lease ends.</summary>
    public const string Claimed = "claimed";

    /// <summary>Committed.</summary>
    public const string Applied = "applied";

    /// <summary>Refused when due.</summary>
    public const string Failed = "failed";

    /// <summary>Missed by more than the grace.</summary>
    public const string Skipped = "skipped";

    /// <summary>Cancelled before it was due.</summary>
    public const string Cancelled = "cancelled";
}
