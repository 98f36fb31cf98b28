using FlagKit.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FlagKit.Sources;

/// <summary>The log lines of <see cref="GrpcFlagSource"/> (source-generated, no allocation when disabled).</summary>
internal static partial class GrpcFlagSourceLog
{
    [LoggerMessage(FlagKitLogEvents.Connected, LogLevel.Information, "FlagKit connected to {Server} (server {ServerId}, environment {Environment}, server revision {ServerRevision}, resuming from {HelloRevision})", EventName = nameof(FlagKitLogEvents.Connected))]
    public static partial void Connected(ILogger logger, Uri server, string serverId, string environment, long serverRevision, long helloRevision);

    [LoggerMessage(FlagKitLogEvents.Reconnecting, LogLevel.Warning, "FlagKit sync stream ended: {Reason}; reconnecting in {Delay}", EventName = nameof(FlagKitLogEvents.Reconnecting))]
    public static partial void Reconnecting(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(FlagKitLogEvents.DocumentRejected, LogLevel.Warning, "FlagKit could not apply {Kind} '{Key}' at revision {Revision}; it keeps its last good version: {Reason}", EventName = nameof(FlagKitLogEvents.DocumentRejected))]
    public static partial void DocumentRejected(ILogger logger, string kind, string key, long revision, string reason);

    [LoggerMessage(FlagKitLogEvents.ResyncRequested, LogLevel.Information, "FlagKit server asked for a full resync: {Reason}", EventName = nameof(FlagKitLogEvents.ResyncRequested))]
    public static partial void ResyncRequested(ILogger logger, string reason);

    [LoggerMessage(FlagKitLogEvents.ProtocolViolation, LogLevel.Warning, "FlagKit sync stream broke the protocol ({Violation}); the batch is dropped and a full snapshot requested", EventName = nameof(FlagKitLogEvents.ProtocolViolation))]
    public static partial void ProtocolViolation(ILogger logger, string violation);

    [LoggerMessage(FlagKitLogEvents.CacheIgnored, LogLevel.Warning, "FlagKit {Problem}", EventName = nameof(FlagKitLogEvents.CacheIgnored))]
    public static partial void CacheIgnored(ILogger logger, string problem);

    [LoggerMessage(FlagKitLogEvents.ServingCache, LogLevel.Warning, "FlagKit serving the disk cache at revision {Revision} from '{Path}': {Why}", EventName = nameof(FlagKitLogEvents.ServingCache))]
    public static partial void ServingCache(ILogger logger, long revision, string path, string why);

    [LoggerMessage(FlagKitLogEvents.CacheWriteFailed, LogLevel.Warning, "FlagKit could not write the disk cache '{Path}'; the previous cache file is intact", EventName = nameof(FlagKitLogEvents.CacheWriteFailed))]
    public static partial void CacheWriteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(FlagKitLogEvents.LoopCrashed, LogLevel.Error, "FlagKit sync loop stopped on an unexpected error; the client keeps serving what it has", EventName = nameof(FlagKitLogEvents.LoopCrashed))]
    public static partial void LoopCrashed(ILogger logger, Exception exception);

    [LoggerMessage(FlagKitLogEvents.ChannelRenewed, LogLevel.Information, "FlagKit dropped its connection to {Server} after the stream stalled, and opens a new one", EventName = nameof(FlagKitLogEvents.ChannelRenewed))]
    public static partial void ChannelRenewed(ILogger logger, Uri server);

    [LoggerMessage(FlagKitLogEvents.MovedServer, LogLevel.Information, "FlagKit left {From} ({Reason}) and moves to {To}, resuming from the revision it holds", EventName = nameof(FlagKitLogEvents.MovedServer))]
    public static partial void MovedServer(ILogger logger, Uri from, Uri to, string reason);
}
