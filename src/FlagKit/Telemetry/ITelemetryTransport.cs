namespace FlagKit.Telemetry;

/// <summary>
/// A flag source that can carry interval summaries to a server (the gRPC source, when the server takes them). Offering
/// never blocks: a summary that cannot be sent is dropped and counted by the transport.
/// </summary>
internal interface ITelemetryTransport
{
    /// <summary>Queues one interval for sending, or drops it (and counts it) when there is no stream that takes it.</summary>
    /// <param name="interval">The interval's figures.</param>
    void Offer(TelemetryInterval interval);
}
