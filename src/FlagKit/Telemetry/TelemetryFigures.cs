namespace FlagKit.Telemetry;

/// <summary>One flag variant's figures over one interval, in one SDK instance.</summary>
/// <param name="Flag">The flag key.</param>
/// <param name="Variant">The variant's name.</param>
/// <param name="Exposures">How often the flag served the variant.</param>
/// <param name="Requests">Outcomes recorded against the variant.</param>
/// <param name="Failures">Of those, failures (≤ <paramref name="Requests"/>).</param>
/// <param name="Latency">The outcomes' durations.</param>
internal sealed record TelemetryFigures(string Flag, string Variant, long Exposures, long Requests, long Failures, LatencyHistogram Latency);
