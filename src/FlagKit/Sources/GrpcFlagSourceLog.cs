using Microsoft.Extensions.Logging;

namespace FlagKit.Sources;

/// <summary>The log lines of <see cref="GrpcFlagSource"/> (source-generated, no allocation when disabled).</summary>
internal static partial class GrpcFlagSourceLog
{
    [LoggerMessage(1, LogLevel.Information, "FlagKit connected to {Server} (server {ServerId}, environment {Environment}, server revision {ServerRevision}, resuming from {HelloRevision})")]
    public static partial void Connected(ILogger logger, Uri server, string serverId, string environment, long serverRevision, long helloRevision);

    [LoggerMessage(2, LogLevel.Warning, "FlagKit sync stream ended: {Reason}; reconnecting in {Delay}")]
    public static partial void Reconnecting(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(3, LogLevel.Warning, "FlagKit could not apply {Kind} '{Key}' at revision {Revision}; it keeps its last good version: {Reason}")]
    public static partial void DocumentRejected(ILogger logger, string kind, string key, long revision, string reason);

    [LoggerMessage(4, LogLevel.Information, "FlagKit server asked for a full resync: {Reason}")]
    public static partial void ResyncRequested(ILogger logger, string reason);

    [LoggerMessage(5, LogLevel.Warning, "FlagKit sync stream broke the protocol ({Violation}); the batch is dropped and a full snapshot requested")]
    public static partial void ProtocolViolation(ILogger logger, string violation);

    [LoggerMessage(6, LogLevel.Warning, "FlagKit {Problem}")]
    public static partial void CacheIgnored(ILogger logger, string problem);

    [LoggerMessage(7, LogLevel.Warning, "FlagKit serving the disk cache at revision {Revision} from '{Path}': {Why}")]
    public static partial void ServingCache(ILogger logger, long revision, string path, string why);

    [LoggerMessage(8, LogLevel.Warning, "FlagKit could not write the disk cache '{Path}'; the previous cache file is intact")]
    public static partial void CacheWriteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "FlagKit sync loop stopped on an unexpected error; the client keeps serving what it has")]
    public static partial void LoopCrashed(ILogger logger, Exception exception);

    [LoggerMessage(10, LogLevel.Information, "FlagKit dropped its connection to {Server} after the stream stalled, and opens a new one")]
    public static partial void ChannelRenewed(ILogger logger, Uri server);
}
