using FlagKit.Server.Releases;
using FlagKit.Telemetry;

namespace FlagKit.Server.Tests.Releases;

/// <summary>
/// One simulated SDK instance: its share of the traffic, its own base error rate and latency, and per interval one
/// report per variant (Poisson traffic, binomial failures, log-normal latencies drawn into the real histogram buckets).
/// </summary>
internal sealed class SimulatedInstance
{
    private readonly string _name;
    private readonly double _trafficShare;
    private readonly double _errorRate;
    private readonly LatencySampler _controlLatency;
    private readonly LatencySampler _treatmentLatency;
    private readonly LatencyHistogram _treatmentHistogram = new();
    private readonly LatencyHistogram _controlHistogram = new();

    public SimulatedInstance(string name, double trafficShare, SimulationScenario scenario, SimulationRandom random)
    {
        _name = name;
        _trafficShare = trafficShare;

        // Base rates vary around the mean (log-normal, σ = 0.3, mean-preserving); medians by ±10 %.
        _errorRate = Math.Min(0.5, scenario.BaseErrorRate * Math.Exp(0.3 * random.Normal() - 0.045));
        var median = scenario.MedianMilliseconds * Math.Exp(0.1 * random.Normal());
        _controlLatency = new LatencySampler(median, scenario.LatencySigma);
        _treatmentLatency = new LatencySampler(median * scenario.LatencyMultiplier, scenario.LatencySigma);
    }

    /// <summary>This instance's reports for one interval.</summary>
    public IEnumerable<ReleaseReport> Report(
        SimulationScenario scenario, ReleasePlan plan, double treatmentPerInterval, double controlPerInterval, bool treatmentReports, SimulationRandom random)
    {
        if (treatmentReports)
        {
            var served = random.Poisson(treatmentPerInterval * _trafficShare);
            var reported = served - random.Binomial(served, scenario.TreatmentUnreported);
            var rate = Math.Min(1, _errorRate * scenario.ErrorMultiplier);
            yield return Variant(plan.Flag, plan.Treatment, reported, random.Binomial(reported, rate), _treatmentLatency, _treatmentHistogram, random);
        }

        var controlServed = random.Poisson(controlPerInterval * _trafficShare);
        yield return Variant(plan.Flag, plan.Control, controlServed, random.Binomial(controlServed, _errorRate), _controlLatency, _controlHistogram, random);
    }

    private ReleaseReport Variant(
        string flag, string variant, long requests, long failures, LatencySampler latency, LatencyHistogram histogram, SimulationRandom random)
    {
        // One histogram per variant, reused every interval: the engine copies the counts it keeps.
        histogram.Reset();
        latency.Draw(random, requests, histogram);
        return new ReleaseReport(_name, flag, variant, requests, requests, failures, histogram);
    }
}
