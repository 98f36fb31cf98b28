namespace FlagKit.Server.Releases;

/// <summary>
/// The log lines of guarded releases (source-generated), ids 3650-3669 in the server's range (see
/// <c>ServerLogEvents</c>); the event name is the method's name.
/// </summary>
internal static partial class ReleaseLog
{
    /// <summary>A release event, as <see cref="LoggingReleaseNotifier"/> tells it.</summary>
    [LoggerMessage(3650, LogLevel.Information, "Release {ReleaseId} {Kind} on '{Environment}' flag '{Flag}' at {Percent} %: {Summary}", EventName = "ReleaseNotified")]
    public static partial void Notified(ILogger logger, long releaseId, ReleaseNotificationKind kind, string environment, string flag, int percent, string summary);

    /// <summary>A release could not be evaluated or its write failed.</summary>
    [LoggerMessage(3651, LogLevel.Error, "Release {ReleaseId} on '{Environment}' flag '{Flag}': {What} failed", EventName = "ReleaseFailed")]
    public static partial void Failed(ILogger logger, long releaseId, string environment, string flag, string what, Exception exception);

    /// <summary>A notifier threw.</summary>
    [LoggerMessage(3652, LogLevel.Warning, "Release {ReleaseId}: notifier {Notifier} failed", EventName = "ReleaseNotifierFailed")]
    public static partial void NotifierFailed(ILogger logger, long releaseId, string notifier, Exception exception);

    /// <summary>Active releases loaded at start.</summary>
    [LoggerMessage(3653, LogLevel.Information, "Resumed {Count} active release(s) from the store", EventName = "ReleasesResumed")]
    public static partial void Resumed(ILogger logger, int count);

    /// <summary>A stored release could not be read (its state does not parse): it is left as it is, not run.</summary>
    [LoggerMessage(3654, LogLevel.Error, "Release {ReleaseId}: its stored state cannot be read; it is not run", EventName = "ReleaseUnreadable")]
    public static partial void Unreadable(ILogger logger, long releaseId, Exception exception);
}
