using System.Diagnostics;
using FlagKit.Server.Releases;

namespace FlagKit.Server.Tests.Releases;

/// <summary>
/// The issue's acceptance bar, on a seeded simulated fleet (5 SDK instances, Poisson traffic, per-instance base rates
/// and latencies, log-normal latency in the real histogram buckets) at 2 000 requests/min in the treatment arm,
/// driving the real engine on a fake clock. Each test prints its measured rates (see docs/releases.md).
/// </summary>
[Category("ReleaseSimulation")]
public sealed class ReleaseSimulationTests
{
    private const int DetectionRuns = 200;

    [Test]
    public void Simulate_EqualVariants_AtMostOnePercentRolledBack()
    {
        var outcomes = RunMany(new SimulationScenario("A/A: equal variants"), 1000, seed: 1_000_000);

        var rolledBack = outcomes.Count(o => o.RolledBack);
        Print("equal variants", outcomes, o => o.RolledBack);
        TestContext.Out.WriteLine($"  completed {Percent(outcomes.Count(o => o.State.Status == ReleaseStatus.Completed), outcomes.Count)}, " +
            $"paused {Percent(outcomes.Count(o => o.State.Status == ReleaseStatus.Paused), outcomes.Count)} " +
            $"({string.Join(", ", outcomes.Where(o => o.State.Status == ReleaseStatus.Paused).GroupBy(o => o.State.PauseReason).Select(g => $"{g.Key} {g.Count()}"))})");
        foreach (var example in outcomes.Where(o => o.RolledBack).Take(3))
        {
            TestContext.Out.WriteLine($"  false rollback: {example.Summary}");
        }

        Assert.That(rolledBack, Is.LessThanOrEqualTo(10), "false rollbacks out of 1 000");
    }

    [Test]
    public void Simulate_EqualVariantsNoMargin_NaiveTestAtEveryLookInflatesTheSequentialOneDoesNot()
    {
        // The same evidence (stratified, against "no increase" this time), judged two ways at every 10 s look:
        // a fixed-horizon one-sided z-test at 1 % (peeking), and the engine's always-valid mSPRT at 0.5 %.
        var plan = ReleaseSimulation.Plan() with { Guards = new ReleaseGuards { MaxErrorRateIncrease = 0 } };
        var naive = 0;
        var runs = 200;
        var outcomes = Enumerable.Range(0, runs).Select(i =>
        {
            var crossed = false;
            var outcome = ReleaseSimulation.Run(new SimulationScenario("A/A, no margin"), 9_000_000 + i, plan,
                observe: state => crossed |= SequentialTest.Z(state.ErrorExcess, state.ErrorVariance) > 2.326);
            naive += crossed ? 1 : 0;
            return outcome;
        }).ToList();

        var sequential = outcomes.Count(o => o.RolledBack && o.Summary.StartsWith("errors", StringComparison.Ordinal));
        TestContext.Out.WriteLine($"equal variants, no margin, {runs} releases: naive z-test at every look (1 %) would have rolled back " +
            $"{Percent(naive, runs)}; the engine's mSPRT (0.5 %) rolled back {Percent(sequential, runs)}");

        Assert.That(naive, Is.GreaterThan(3 * 0.01 * runs), "peeking inflates a 1 % test several times over");
        Assert.That(sequential, Is.LessThanOrEqualTo(0.01 * runs));
    }

    [Test]
    public void Simulate_ErrorsOneToTwoPercent_RolledBackWithinTheFirstStep()
    {
        var outcomes = RunMany(new SimulationScenario("errors 1.0 % → 2.0 %") { ErrorMultiplier = 2.0 }, DetectionRuns, seed: 2_000_000);

        var detected = Print("errors 1.0 % -> 2.0 %, within the first 5-minute step", outcomes,
            o => o.RolledBack && o.State.StepIndex == 0 && o.Elapsed <= TimeSpan.FromMinutes(5));

        Assert.That(detected, Is.GreaterThanOrEqualTo(0.95 * DetectionRuns));
    }

    [Test]
    public void Simulate_ErrorsOneToOneAndAHalfPercent_RolledBackWithinFifteenMinutes()
    {
        var outcomes = RunMany(new SimulationScenario("errors 1.0 % → 1.5 %") { ErrorMultiplier = 1.5 }, DetectionRuns, seed: 3_000_000);

        var detected = Print("errors 1.0 % -> 1.5 %, within 15 minutes", outcomes,
            o => o.RolledBack && o.Elapsed <= TimeSpan.FromMinutes(15));

        Assert.That(detected, Is.GreaterThanOrEqualTo(0.95 * DetectionRuns));
    }

    [Test]
    public void Simulate_LatencyThirtyPercentSlower_RolledBackWithinFiveMinutes()
    {
        var outcomes = RunMany(new SimulationScenario("p95 +30 %") { LatencyMultiplier = 1.3 }, DetectionRuns, seed: 4_000_000);

        var detected = Print("p95 latency +30 %, within 5 minutes", outcomes,
            o => o.RolledBack && o.Elapsed <= TimeSpan.FromMinutes(5));

        Assert.That(detected, Is.GreaterThanOrEqualTo(0.95 * DetectionRuns));
        Assert.That(outcomes.Where(o => o.RolledBack).Select(o => o.Summary), Has.All.Match("^p9[59] "));
    }

    [Test]
    public void Simulate_LatencyFifteenPercentSlower_BelowTheGuardRarelyRolledBack()
    {
        // The latency guard has no proof under repeated looks (docs/releases.md): measure it just under its bar (+20 %).
        var outcomes = RunMany(new SimulationScenario("p95 +15 %") { LatencyMultiplier = 1.15 }, 100, seed: 10_000_000);

        var rolledBack = Print("p95 latency +15 % (guard at +20 %): rolled back", outcomes, o => o.RolledBack);

        Assert.That(rolledBack, Is.LessThanOrEqualTo(5));
    }

    [Test]
    public void Simulate_NoTraffic_PausesInconclusiveNeverPromoted()
    {
        var outcome = ReleaseSimulation.Run(new SimulationScenario("no traffic") { TreatmentPerMinute = 0 }, seed: 5);

        TestContext.Out.WriteLine($"no traffic: {outcome.State.Status} {outcome.State.PauseReason} after {outcome.Elapsed}: {outcome.Summary}");
        Assert.That(outcome.State.Status, Is.EqualTo(ReleaseStatus.Paused));
        Assert.That(outcome.State.PauseReason, Is.EqualTo(PauseReason.Inconclusive));
        Assert.That(outcome.State.StepIndex, Is.Zero, "never promoted");
        Assert.That(outcome.State.LastVerdict, Is.EqualTo(ReleaseVerdict.NotEnoughData));
        Assert.That(outcome.Elapsed, Is.EqualTo(TimeSpan.FromMinutes(15)), "three holds of 5 minutes");
    }

    [Test]
    public void Simulate_TreatmentReportsStop_Paused()
    {
        var outcome = ReleaseSimulation.Run(new SimulationScenario("reports stop") { TreatmentReportsStopAt = TimeSpan.FromMinutes(2) }, seed: 6);

        TestContext.Out.WriteLine($"treatment reports stop at 2:00: {outcome.State.Status} {outcome.State.PauseReason} at {outcome.Elapsed}: {outcome.Summary}");
        Assert.That(outcome.State.Status, Is.EqualTo(ReleaseStatus.Paused));
        Assert.That(outcome.State.PauseReason, Is.EqualTo(PauseReason.ReportsStopped));
        Assert.That(outcome.Elapsed, Is.EqualTo(TimeSpan.FromSeconds(150)), "three missed intervals after the last report at 2:00");
    }

    [Test]
    public void Simulate_TreatmentLosesTenPercentOfItsReports_SampleRatioMismatchPauses()
    {
        var outcomes = RunMany(new SimulationScenario("SRM") { TreatmentUnreported = 0.10 }, 50, seed: 7_000_000);

        var paused = Print("treatment loses 10 % of its requests unreported: paused for SRM", outcomes,
            o => o.State.Status == ReleaseStatus.Paused && o.State.PauseReason == PauseReason.SampleRatioMismatch);

        Assert.That(paused, Is.EqualTo(50));
    }

    [Test]
    public void Simulate_TreatmentFailsThirtyPercent_CeilingRollsBackInTheFirstInterval()
    {
        var outcome = ReleaseSimulation.Run(new SimulationScenario("ceiling") { ErrorMultiplier = 30 }, seed: 8);

        TestContext.Out.WriteLine($"treatment errors 30 %: {outcome.State.Status} after {outcome.Evaluations} evaluation(s): {outcome.Summary}");
        Assert.That(outcome.RolledBack, Is.True);
        Assert.That(outcome.Evaluations, Is.EqualTo(1));
        Assert.That(outcome.Summary, Does.Contain("ceiling").And.EndsWith("rolled back to 0 %"));
    }

    private static List<SimulationOutcome> RunMany(SimulationScenario scenario, int runs, int seed)
    {
        var watch = Stopwatch.StartNew();
        var outcomes = Enumerable.Range(0, runs).Select(i => ReleaseSimulation.Run(scenario, seed + i)).ToList();
        TestContext.Out.WriteLine($"{scenario.Name}: {runs} releases simulated in {watch.Elapsed.TotalSeconds:0.0} s");
        return outcomes;
    }

    private static int Print(string label, List<SimulationOutcome> outcomes, Func<SimulationOutcome, bool> counted)
    {
        var hits = outcomes.Where(counted).ToList();
        var times = outcomes.Where(o => o.RolledBack).Select(o => o.Elapsed).Order().ToList();
        var median = times.Count == 0 ? "n/a" : ReleaseText.Duration(times[times.Count / 2]);
        var p95 = times.Count == 0 ? "n/a" : ReleaseText.Duration(times[Math.Min(times.Count - 1, (int)(0.95 * times.Count))]);
        TestContext.Out.WriteLine($"{label}: {hits.Count} of {outcomes.Count} ({Percent(hits.Count, outcomes.Count)}); " +
            $"rolled back {Percent(times.Count, outcomes.Count)}, time to rollback median {median}, p95 {p95}");
        return hits.Count;
    }

    private static string Percent(int part, int whole) => $"{100.0 * part / whole:0.0} %";
}
