using FlagKit.Server.Releases;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Releases;

/// <summary>
/// Runs the real <see cref="ReleaseEngine"/> on a fake clock against a simulated fleet, one interval at a time, until
/// the release stops (or a time limit).
/// </summary>
internal static class ReleaseSimulation
{
    public static readonly DateTimeOffset Epoch = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The guarded release every scenario runs: the defaults (1, 5, 25, 50, 100 %; 5-minute holds; 10 s intervals).</summary>
    public static ReleasePlan Plan() => new() { Flag = "checkout-v2", Treatment = "v2", Control = "v1" };

    public static SimulationOutcome Run(
        SimulationScenario scenario, int seed, ReleasePlan? plan = null, TimeSpan? limit = null, Action<ReleaseState>? observe = null)
    {
        plan ??= Plan();
        var clock = new FakeTimeProvider(Epoch);
        var engine = new ReleaseEngine(clock);
        var random = new SimulationRandom(seed);
        var fleet = Fleet(scenario, random);
        var state = engine.Start(plan);
        var end = Epoch + (limit ?? TimeSpan.FromMinutes(90));
        var decisions = 0;
        ReleaseDecision? last = null;
        while (state.Status == ReleaseStatus.Running && clock.GetUtcNow() < end)
        {
            var reports = Interval(scenario, plan, state.TreatmentPercent, clock.GetUtcNow() - Epoch, fleet, random);
            clock.Advance(plan.Interval);
            last = engine.Evaluate(state, reports);
            state = last.State;
            observe?.Invoke(state);
            decisions++;
        }

        return new SimulationOutcome(state, clock.GetUtcNow() - Epoch, last?.Summary ?? "", decisions);
    }

    private static SimulatedInstance[] Fleet(SimulationScenario scenario, SimulationRandom random)
    {
        var weights = Enumerable.Range(0, scenario.Instances).Select(_ => Math.Exp(0.3 * random.Normal())).ToArray();
        var total = weights.Sum();
        return weights.Select((w, i) => new SimulatedInstance($"sdk-{i}", w / total, scenario, random)).ToArray();
    }

    private static List<ReleaseReport> Interval(
        SimulationScenario scenario, ReleasePlan plan, int percent, TimeSpan elapsed, SimulatedInstance[] fleet, SimulationRandom random)
    {
        var perInterval = plan.Interval.TotalMinutes;
        var treatment = scenario.TreatmentPerMinute * perInterval;
        var control = treatment * (100 - percent) / percent;
        var treatmentReports = scenario.TreatmentReportsStopAt is not { } stop || elapsed < stop;
        var reports = new List<ReleaseReport>(fleet.Length * 2);
        foreach (var instance in fleet)
        {
            reports.AddRange(instance.Report(scenario, plan, treatment, control, treatmentReports, random));
        }

        return reports;
    }
}
