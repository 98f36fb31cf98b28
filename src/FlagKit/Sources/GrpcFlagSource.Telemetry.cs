using FlagKit.Telemetry;

namespace FlagKit.Sources;

/// <summary>Telemetry: the client's intervals go to the server on the sync stream, when the server takes them.</summary>
public sealed partial class GrpcFlagSource : ITelemetryTransport
{
    /// <summary>Intervals waiting for a stream, and the counts of those sent and dropped.</summary>
    internal GrpcTelemetryQueue TelemetryQueue { get; } = new();

    void ITelemetryTransport.Offer(TelemetryInterval interval) => TelemetryQueue.Offer(interval);
}
