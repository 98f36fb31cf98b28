namespace FlagKit.Server.Scheduling;

/// <summary>The log events of scheduled changes and freezes (ids 3740-3759 of the server's range).</summary>
internal static partial class ScheduleLog
{
    /// <summary>Event ids.</summary>
    public const int AppliedId = 3740, FailedId = 3741, SkippedId = 3742, WaitingId = 3743, RunnerFailedId = 3744;

    [LoggerMessage(AppliedId, LogLevel.Information, "Scheduled change #{Id} applied to '{Environment}' at revision {Revision}: {Description} {Target} {Note}", EventName = "ScheduledChangeApplied")]
    public static partial void Applied(ILogger logger, long id, string environment, long revision, string description, string target, string note);

    [LoggerMessage(FailedId, LogLevel.Warning, "Scheduled change #{Id} to '{Environment}' failed: {Reason}", EventName = "ScheduledChangeFailed")]
    public static partial void Failed(ILogger logger, long id, string environment, string reason);

    [LoggerMessage(SkippedId, LogLevel.Warning, "Scheduled change #{Id} to '{Environment}' skipped: {Reason}", EventName = "ScheduledChangeSkipped")]
    public static partial void Skipped(ILogger logger, long id, string environment, string reason);

    [LoggerMessage(WaitingId, LogLevel.Information, "Scheduled change #{Id} to '{Environment}' is {Reason}", EventName = "ScheduledChangeWaiting")]
    public static partial void Waiting(ILogger logger, long id, string environment, string reason);

    [LoggerMessage(RunnerFailedId, LogLevel.Error, "Looking for due scheduled changes failed; trying again", EventName = "ScheduleRunnerFailed")]
    public static partial void RunnerFailed(ILogger logger, Exception exception);
}
