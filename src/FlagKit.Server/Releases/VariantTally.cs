using FlagKit.Telemetry;

namespace FlagKit.Server.Releases;

/// <summary>One variant's figures summed over the current step (plain data: stored with the release).</summary>
/// <param name="Exposures">Times served.</param>
/// <param name="Requests">Outcomes recorded.</param>
/// <param name="Failures">Failed outcomes.</param>
/// <param name="Latency">Latency histogram bucket counts (layout <see cref="LatencyHistogram.LayoutVersion"/>).</param>
internal sealed record VariantTally(long Exposures, long Requests, long Failures, long[] Latency)
{
    /// <summary>Nothing counted yet.</summary>
    public static VariantTally Empty => new(0, 0, 0, new long[LatencyHistogram.BucketCount]);

    /// <summary>The error rate (0 when there are no requests).</summary>
    public double ErrorRate => Requests == 0 ? 0 : (double)Failures / Requests;

    /// <summary>This tally plus the figures of <paramref name="reports"/>.</summary>
    public VariantTally Add(IEnumerable<ReleaseReport> reports)
    {
        var latency = (long[])Latency.Clone();
        long exposures = Exposures, requests = Requests, failures = Failures;
        foreach (var report in reports)
        {
            exposures += report.Exposures;
            requests += report.Requests;
            failures += report.Failures;
            report.Latency.AddTo(latency);
        }

        return new VariantTally(exposures, requests, failures, latency);
    }
}
