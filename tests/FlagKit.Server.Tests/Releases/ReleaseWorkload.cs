using FlagKit.Protocol.V1;
using FlagKit.Server.Releases;
using FlagKit.Server.Writes;
using FlagKit.Telemetry;

namespace FlagKit.Server.Tests.Releases;

/// <summary>
/// A synthetic workload for a release on a real server: several SDK instances serve the flag as the server's current
/// split says (the treatment's share of each instance's requests), fail at each variant's error rate (seeded draws),
/// record log-normal latencies into real histograms, and post one report per instance and variant per interval into the
/// server's <see cref="ReleaseReportInbox"/>, as the sync stream does.
/// </summary>
internal sealed class ReleaseWorkload(TestFlagServer server, string flag, string treatment, string control, int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>The environment the flag lives in.</summary>
    public string Environment { get; init; } = TestFlagServer.Environment;

    /// <summary>SDK instances reporting.</summary>
    public int Instances { get; init; } = 4;

    /// <summary>Requests per interval over all instances and both variants.</summary>
    public int RequestsPerInterval { get; init; } = 20_000;

    /// <summary>The control's error rate.</summary>
    public double ControlErrorRate { get; set; } = 0.01;

    /// <summary>The treatment's error rate.</summary>
    public double TreatmentErrorRate { get; set; } = 0.01;

    /// <summary>The control's median latency.</summary>
    public double MedianMilliseconds { get; init; } = 40;

    /// <summary>The treatment's latency as a multiple of the control's.</summary>
    public double TreatmentLatencyFactor { get; set; } = 1;

    /// <summary>The treatment's share the server serves now, from the flag's default rule (0 when it does not split).</summary>
    /// <returns>Percent.</returns>
    public double TreatmentPercent()
    {
        var entry = server.GetService<EnvironmentCatalog>().Get(Environment).Find(DocumentKind.Flag, flag);
        var split = entry?.Flag?.DefaultRule.Split;
        return split?.Variants.FirstOrDefault(v => v.Variant == treatment)?.Weight ?? 0;
    }

    /// <summary>Serves one interval's requests and posts its reports.</summary>
    public void PostInterval()
    {
        var inbox = server.GetService<ReleaseReportInbox>();
        // Stamped before the split is read, as an SDK's interval starts before it serves: a step that begins after
        // this instant does not count these figures.
        var measuredFrom = server.GetService<TimeProvider>().GetUtcNow();
        var share = TreatmentPercent() / 100;
        var perInstance = RequestsPerInterval / Instances;
        for (var i = 0; i < Instances; i++)
        {
            var treated = (long)Math.Round(perInstance * share);
            inbox.Post(Environment, Report($"sdk-{i}", treatment, treated, TreatmentErrorRate, TreatmentLatencyFactor) with { MeasuredFrom = measuredFrom });
            inbox.Post(Environment, Report($"sdk-{i}", control, perInstance - treated, ControlErrorRate, 1) with { MeasuredFrom = measuredFrom });
        }
    }

    private ReleaseReport Report(string instance, string variant, long requests, double errorRate, double latencyFactor)
    {
        var latency = new LatencyHistogram();
        long failures = 0;
        for (var n = 0; n < requests; n++)
        {
            failures += _random.NextDouble() < errorRate ? 1 : 0;
            latency.Record(MedianMilliseconds * latencyFactor * Math.Exp(0.3 * Normal()));
        }

        return new ReleaseReport(instance, flag, variant, requests, requests, failures, latency);
    }

    private double Normal() =>
        Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
}
