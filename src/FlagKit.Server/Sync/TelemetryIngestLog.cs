using FlagKit.Server.Diagnostics;

namespace FlagKit.Server.Sync;

/// <summary>The log events of <see cref="TelemetryIngest"/>.</summary>
internal static partial class TelemetryIngestLog
{
    /// <summary>A stream's first summary over its rate limit was dropped (logged once per stream).</summary>
    [LoggerMessage(ServerLogEvents.TelemetryRateLimited, LogLevel.Warning, "Instance {InstanceId} on '{Environment}' sends telemetry summaries faster than the server takes them ({Limit}): the excess is dropped unread and counted, and the stream is ended if it keeps on", EventName = nameof(ServerLogEvents.TelemetryRateLimited))]
    public static partial void RateLimited(ILogger logger, string instanceId, string environment, string limit);
}
