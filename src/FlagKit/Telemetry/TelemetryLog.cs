using FlagKit.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FlagKit.Telemetry;

/// <summary>The log lines of the SDK's telemetry (source-generated, no allocation when disabled).</summary>
internal static partial class TelemetryLog
{
    [LoggerMessage(FlagKitLogEvents.TelemetryIntervalFailed, LogLevel.Error, "FlagKit could not close a telemetry interval; its figures are lost", EventName = nameof(FlagKitLogEvents.TelemetryIntervalFailed))]
    public static partial void IntervalFailed(ILogger logger, Exception exception);

    [LoggerMessage(FlagKitLogEvents.TelemetrySendFailed, LogLevel.Debug, "FlagKit could not send a telemetry summary ({Reason}); it is dropped and counted", EventName = nameof(FlagKitLogEvents.TelemetrySendFailed))]
    public static partial void SendFailed(ILogger logger, string reason);
}
