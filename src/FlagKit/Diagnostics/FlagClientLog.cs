using Microsoft.Extensions.Logging;

namespace FlagKit.Diagnostics;

/// <summary>The client's and the sources' log messages (source-generated, no allocation when disabled).</summary>
internal static partial class FlagClientLog
{
    [LoggerMessage(FlagKitLogEvents.StatusChanged, LogLevel.Information, "FlagKit status {Status} (was {PreviousStatus}): {Detail}", EventName = nameof(FlagKitLogEvents.StatusChanged))]
    public static partial void StatusChanged(ILogger logger, FlagClientStatus status, FlagClientStatus previousStatus, string? detail);

    [LoggerMessage(FlagKitLogEvents.SnapshotSwapped, LogLevel.Debug, "FlagKit snapshot revision {Revision} (was {PreviousRevision}): {FlagCount} flags; {ChangedCount} changed", EventName = nameof(FlagKitLogEvents.SnapshotSwapped))]
    public static partial void SnapshotSwapped(ILogger logger, long revision, long previousRevision, int flagCount, int changedCount);

    [LoggerMessage(FlagKitLogEvents.HandlerFailed, LogLevel.Error, "A FlagKit {EventName} handler threw; the client carries on", EventName = nameof(FlagKitLogEvents.HandlerFailed))]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string eventName);

    [LoggerMessage(FlagKitLogEvents.StartTimedOut, LogLevel.Warning, "FlagKit source did not deliver a first snapshot within {Timeout}; serving defaults until it does", EventName = nameof(FlagKitLogEvents.StartTimedOut))]
    public static partial void StartTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(FlagKitLogEvents.StartFailed, LogLevel.Error, "FlagKit source failed to start", EventName = nameof(FlagKitLogEvents.StartFailed))]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(FlagKitLogEvents.FileRefused, LogLevel.Warning, "FlagKit flags file {Path} refused, the last good snapshot keeps serving: {Errors}", EventName = nameof(FlagKitLogEvents.FileRefused))]
    public static partial void FileRefused(ILogger logger, string path, string errors);

    [LoggerMessage(FlagKitLogEvents.FileLoaded, LogLevel.Information, "FlagKit flags file {Path} loaded as revision {Revision} ({FlagCount} flags)", EventName = nameof(FlagKitLogEvents.FileLoaded))]
    public static partial void FileLoaded(ILogger logger, string path, long revision, int flagCount);
}
