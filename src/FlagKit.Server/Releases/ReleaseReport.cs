using FlagKit.Telemetry;

namespace FlagKit.Server.Releases;

/// <summary>
/// One SDK instance's figures for one flag variant over one interval: how often the variant was served (exposures),
/// the outcomes recorded against it (requests, failures) and their latency histogram.
/// </summary>
/// <param name="Instance">The SDK instance that sent it.</param>
/// <param name="Flag">The flag key.</param>
/// <param name="Variant">The variant served.</param>
/// <param name="Exposures">How often the flag served this variant.</param>
/// <param name="Requests">Outcomes recorded against the variant.</param>
/// <param name="Failures">Of those, failures.</param>
/// <param name="Latency">The outcomes' durations.</param>
/// <param name="MeasuredFrom">
/// When the figures began to be counted (the SDK interval's start); null when unknown. A report measured from before
/// the current step began mixes the previous step's split and is not counted (see <see cref="ReleaseEngine"/>).
/// </param>
internal sealed record ReleaseReport(
    string Instance, string Flag, string Variant, long Exposures, long Requests, long Failures, LatencyHistogram Latency,
    DateTimeOffset? MeasuredFrom = null)
{
    /// <summary>Why this report cannot be counted, naming the field; null when it can.</summary>
    public string? Problem()
    {
        if (string.IsNullOrEmpty(Instance)) return "instance: must not be empty.";
        if (Exposures < 0) return $"instance '{Instance}', variant '{Variant}': exposures {Exposures} is negative.";
        if (Requests < 0) return $"instance '{Instance}', variant '{Variant}': requests {Requests} is negative.";
        if (Failures < 0 || Failures > Requests) return $"instance '{Instance}', variant '{Variant}': failures {Failures} is not in 0..requests ({Requests}).";
        if (Latency is null) return $"instance '{Instance}', variant '{Variant}': latency histogram is missing.";
        return null;
    }
}
