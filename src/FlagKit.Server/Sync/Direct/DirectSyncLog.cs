using FlagKit.Server.Diagnostics;

namespace FlagKit.Server.Sync.Direct;

/// <summary>The log events of the direct Sync transport (<see cref="DirectSyncConnection"/>).</summary>
internal static partial class DirectSyncLog
{
    /// <summary>A connection broke the HTTP/2 protocol and was ended with GOAWAY.</summary>
    [LoggerMessage(ServerLogEvents.DirectConnectionError, LogLevel.Information, "Sync connection from {Peer} ended with GOAWAY {Code}: {Reason}", EventName = nameof(ServerLogEvents.DirectConnectionError))]
    public static partial void ConnectionError(ILogger logger, string peer, Http2ErrorCode code, string reason);

    /// <summary>A Sync handler failed with an unexpected exception (the stream ended with UNKNOWN).</summary>
    [LoggerMessage(ServerLogEvents.DirectHandlerFailed, LogLevel.Error, "Sync stream {StreamId} from {Peer} failed", EventName = nameof(ServerLogEvents.DirectHandlerFailed))]
    public static partial void HandlerFailed(ILogger logger, int streamId, string peer, Exception exception);

    /// <summary>A peer did not answer a keep-alive PING in time; its connection was closed.</summary>
    [LoggerMessage(ServerLogEvents.DirectKeepAliveTimedOut, LogLevel.Information, "Sync connection from {Peer} did not answer a keep-alive ping within {Timeout}: closed", EventName = nameof(ServerLogEvents.DirectKeepAliveTimedOut))]
    public static partial void KeepAliveTimedOut(ILogger logger, string peer, TimeSpan timeout);
}
