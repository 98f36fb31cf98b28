using Microsoft.Extensions.Logging;

namespace FlagKit.Diagnostics;

/// <summary>The client's and the sources' log messages (source-generated, no allocation when disabled).</summary>
internal static partial class FlagClientLog
{
    [LoggerMessage(1, LogLevel.Information, "FlagKit status {Status} (was {PreviousStatus}): {Detail}")]
    public static partial void StatusChanged(ILogger logger, FlagClientStatus status, FlagClientStatus previousStatus, string? detail);

    [LoggerMessage(2, LogLevel.Debug, "FlagKit snapshot revision {Revision} (was {PreviousRevision}): {FlagCount} flags; {ChangedCount} changed")]
    public static partial void SnapshotSwapped(ILogger logger, long revision, long previousRevision, int flagCount, int changedCount);

    [LoggerMessage(3, LogLevel.Error, "A FlagKit {EventName} handler threw; the client carries on")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string eventName);

    [LoggerMessage(4, LogLevel.Warning, "FlagKit source did not deliver a first snapshot within {Timeout}; serving defaults until it does")]
    public static partial void StartTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(5, LogLevel.Error, "FlagKit source failed to start")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "FlagKit flags file {Path} refused, the last good snapshot keeps serving: {Errors}")]
    public static partial void FileRefused(ILogger logger, string path, string errors);

    [LoggerMessage(7, LogLevel.Information, "FlagKit flags file {Path} loaded as revision {Revision} ({FlagCount} flags)")]
    public static partial void FileLoaded(ILogger logger, string path, long revision, int flagCount);
}
