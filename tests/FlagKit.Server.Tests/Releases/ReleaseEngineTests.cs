using System.Text.Json;
using FlagKit.Server.Releases;
using FlagKit.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Releases;

/// <summary>The engine's rules one at a time, with hand-made reports on a fake clock.</summary>
public sealed class ReleaseEngineTests
{
    private FakeTimeProvider _clock = null!;
    private ReleaseEngine _engine = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeTimeProvider(ReleaseSimulation.Epoch);
        _engine = new ReleaseEngine(_clock);
    }

    [Test]
    public void Start_InvalidPlan_ThrowsListingEveryField()
    {
        var plan = Plan() with { Steps = [5, 1, 50], Control = "v2", MinimumSample = 0, Guards = new ReleaseGuards { CeilingErrorRate = 2 } };

        var error = Assert.Throws<ArgumentException>(() => _engine.Start(plan));

        Assert.That(error!.Message, Does.Contain("steps[1]: 1 is not above the step before (5).")
            .And.Contain("steps[2]: the last step must be 100, not 50.")
            .And.Contain("control: must differ from the treatment ('v2').")
            .And.Contain("minimumSample: 0 is below 1.")
            .And.Contain("guards.ceilingErrorRate: 2 is not in (0, 1]."));
    }

    [Test]
    public void Start_ValidPlan_RunsTheFirstStepFromNow()
    {
        var state = _engine.Start(Plan());

        Assert.That(state.Status, Is.EqualTo(ReleaseStatus.Running));
        Assert.That(state.TreatmentPercent, Is.EqualTo(1));
        Assert.That(state.StepStartedAt, Is.EqualTo(ReleaseSimulation.Epoch));
    }

    [Test]
    public void Evaluate_BadReports_RejectedByIndexAndTheRestCounted()
    {
        var state = _engine.Start(Plan());
        var reports = new[]
        {
            Report("a", "v2", 100, 1),
            Report("a", "v1", 9_900, 99),
            Report("b", "v2", 10, 11),
            Report("b", "v3", 10, 0),
            Report("b", "v1", 10, 0) with { Flag = "other" },
            Report("", "v1", 10, 0),
        };

        _clock.Advance(TimeSpan.FromSeconds(10));
        var decision = _engine.Evaluate(state, reports);

        Assert.That(decision.Rejected, Is.EqualTo(new[]
        {
            "reports[2]: instance 'b', variant 'v2': failures 11 is not in 0..requests (10).",
            "reports[3]: variant 'v3' is neither the treatment 'v2' nor the control 'v1'.",
            "reports[4]: flag 'other' is not the release's flag 'checkout-v2'.",
            "reports[5]: instance: must not be empty.",
        }));
        Assert.That(decision.State.Treatment.Requests, Is.EqualTo(100));
        Assert.That(decision.State.Control.Requests, Is.EqualTo(9_900));
    }

    [Test]
    public void Evaluate_ClearlyWorseErrors_RollsBackWithTheFigures()
    {
        var state = _engine.Start(Plan() with { Steps = [50, 100] });
        ReleaseDecision decision = null!;
        for (var i = 0; i < 4 && state.Status == ReleaseStatus.Running; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(10));
            decision = _engine.Evaluate(state, [Report("a", "v2", 3_000, 72), Report("a", "v1", 3_000, 27)]);
            state = decision.State;
        }

        Assert.That(decision.Verdict, Is.EqualTo(ReleaseVerdict.Harm));
        Assert.That(decision.Action, Is.EqualTo(ReleaseAction.RollBack));
        Assert.That(decision.Summary, Does.Match(@"^errors 2\.4 % vs 0\.9 %, \+167 %, \d{1,2} 000 requests: rolled back to 0 %$"));
        Assert.That(state.Status, Is.EqualTo(ReleaseStatus.RolledBack));
        Assert.That(state.TreatmentPercent, Is.Zero);
        Assert.That(state.EndedAt, Is.EqualTo(_clock.GetUtcNow()));
    }

    [Test]
    public void Evaluate_KillPlan_SaysItKilledTheFlag()
    {
        var state = _engine.Start(Plan() with { Rollback = RollbackAction.Kill });
        _clock.Advance(TimeSpan.FromSeconds(10));

        var decision = _engine.Evaluate(state, [Report("a", "v2", 200, 40), Report("a", "v1", 19_800, 198)]);

        Assert.That(decision.Summary, Is.EqualTo("errors 20.0 % in the last interval above the 5.0 % ceiling, 200 requests: killed the flag"));
    }

    [Test]
    public void Evaluate_CeilingBelowItsMinimumRequests_DoesNotAct()
    {
        var state = _engine.Start(Plan());
        _clock.Advance(TimeSpan.FromSeconds(10));

        var decision = _engine.Evaluate(state, [Report("a", "v2", 99, 50), Report("a", "v1", 9_801, 98)]);

        Assert.That(decision.Action, Is.EqualTo(ReleaseAction.Hold));
        Assert.That(decision.Verdict, Is.EqualTo(ReleaseVerdict.NotEnoughData));
    }

    [Test]
    public void Evaluate_CeilingOverTheStep_ActsWhenNoSingleIntervalCould()
    {
        var state = _engine.Start(Plan());
        _clock.Advance(TimeSpan.FromSeconds(10));
        var first = _engine.Evaluate(state, [Report("a", "v2", 60, 6), Report("a", "v1", 5_940, 59)]);
        _clock.Advance(TimeSpan.FromSeconds(10));

        var second = _engine.Evaluate(first.State, [Report("a", "v2", 60, 6), Report("a", "v1", 5_940, 59)]);

        Assert.That(first.Action, Is.EqualTo(ReleaseAction.Hold));
        Assert.That(second.Action, Is.EqualTo(ReleaseAction.RollBack));
        Assert.That(second.Summary, Is.EqualTo("errors 10.0 % in the step above the 5.0 % ceiling, 120 requests: rolled back to 0 %"));
    }

    [Test]
    public void Evaluate_HealthyHoldWithMinimumSample_AdvancesThenCompletes()
    {
        var state = _engine.Start(Plan() with { Steps = [50, 100], Hold = TimeSpan.FromSeconds(30) });
        var actions = new List<ReleaseAction>();
        while (state.Status == ReleaseStatus.Running)
        {
            _clock.Advance(TimeSpan.FromSeconds(10));
            var decision = _engine.Evaluate(state, [Report("a", "v2", 500, 5), Report("a", "v1", 500, 5)]);
            actions.Add(decision.Action);
            state = decision.State;
        }

        Assert.That(actions, Is.EqualTo(new[] { ReleaseAction.Hold, ReleaseAction.Hold, ReleaseAction.Complete }));
        Assert.That(state.Status, Is.EqualTo(ReleaseStatus.Completed));
        Assert.That(state.TreatmentPercent, Is.EqualTo(100));
        Assert.That(state.LastSummary, Does.StartWith("no harm shown at 50 % (errors 1.0 % vs 1.0 %, 1 500 vs 1 500 requests): completed at 100 %"));
    }

    [Test]
    public void Evaluate_HoldPassedWithoutMinimumSample_HoldsThenPausesInconclusive()
    {
        var state = _engine.Start(Plan() with { Steps = [50, 100], Hold = TimeSpan.FromSeconds(30), InconclusiveAfterHolds = 2 });
        var decisions = new List<ReleaseDecision>();
        while (state.Status == ReleaseStatus.Running)
        {
            _clock.Advance(TimeSpan.FromSeconds(10));
            decisions.Add(_engine.Evaluate(state, [Report("a", "v2", 100, 0), Report("a", "v1", 100, 0)]));
            state = decisions[^1].State;
        }

        Assert.That(decisions.Select(d => d.Verdict), Has.All.EqualTo(ReleaseVerdict.NotEnoughData));
        Assert.That(decisions.Select(d => d.Action), Is.EqualTo(Enumerable.Repeat(ReleaseAction.Hold, 5).Append(ReleaseAction.Pause)));
        Assert.That(state.PauseReason, Is.EqualTo(PauseReason.Inconclusive));
        Assert.That(state.StepIndex, Is.Zero, "never promoted");
    }

    [Test]
    public void Evaluate_LatencyBreach_HarmOnlyWhenConfirmed()
    {
        var state = _engine.Start(Plan() with { Steps = [50, 100] });
        var decisions = new List<ReleaseDecision>();
        for (var i = 0; i < 3; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(10));
            decisions.Add(_engine.Evaluate(state, [Report("a", "v2", 2_000, 0, latency: 80), Report("a", "v1", 2_000, 0, latency: 40)]));
            state = decisions[^1].State;
        }

        Assert.That(decisions.Select(d => d.Action), Is.EqualTo(new[] { ReleaseAction.Hold, ReleaseAction.Hold, ReleaseAction.RollBack }));
        Assert.That(decisions[0].Summary, Does.EndWith("to confirm (1 of 3)"));
        Assert.That(decisions[2].Summary, Does.Match(@"^p95 9\d\.\d ms vs 4\d\.\d ms, \+\d+ %, 6 000 requests: rolled back to 0 %$"));
    }

    [Test]
    public void Evaluate_AbsoluteLimits_RollBackAboveThem()
    {
        var errors = _engine.Start(Plan() with { Steps = [50, 100], Guards = new ReleaseGuards { MaxErrorRate = 0.003 } });
        var latency = _engine.Start(Plan() with { Steps = [50, 100], Guards = new ReleaseGuards { MaxP95Milliseconds = 30 } });
        _clock.Advance(TimeSpan.FromSeconds(10));

        var errorDecision = _engine.Evaluate(errors, [Report("a", "v2", 20_000, 200), Report("a", "v1", 20_000, 200)]);
        var latencyDecision = _engine.Evaluate(latency, [Report("a", "v2", 2_000, 0, latency: 40), Report("a", "v1", 2_000, 0, latency: 40)]);

        Assert.That(errorDecision.Summary, Is.EqualTo("errors 1.0 % above the 0.3 % limit, 20 000 requests: rolled back to 0 %"));
        Assert.That(latencyDecision.Summary, Does.StartWith("p95 ").And.Contain("above the 30.0 ms limit").And.EndWith(": to confirm (1 of 3)"));
    }

    [Test]
    public void Evaluate_P99Ceiling_ActsInTheFirstInterval()
    {
        var state = _engine.Start(Plan() with { Guards = new ReleaseGuards { CeilingP99Milliseconds = 1_000 } });
        _clock.Advance(TimeSpan.FromSeconds(10));

        var decision = _engine.Evaluate(state, [Report("a", "v2", 200, 0, latency: 2_500), Report("a", "v1", 19_800, 0)]);

        Assert.That(decision.Action, Is.EqualTo(ReleaseAction.RollBack));
        Assert.That(decision.Summary, Does.Contain("above the 1000.0 ms ceiling"));
    }

    [Test]
    public void Evaluate_AnArmMissesOneInterval_HoldsWithoutJudging()
    {
        var state = _engine.Start(Plan() with { Steps = [50, 100] });
        _clock.Advance(TimeSpan.FromSeconds(10));
        state = _engine.Evaluate(state, [Report("a", "v2", 2_000, 10), Report("a", "v1", 2_000, 10)]).State;
        _clock.Advance(TimeSpan.FromSeconds(10));

        var decision = _engine.Evaluate(state, [Report("a", "v1", 2_000, 10)]);

        Assert.That(decision.Action, Is.EqualTo(ReleaseAction.Hold));
        Assert.That(decision.Verdict, Is.EqualTo(ReleaseVerdict.NotEnoughData));
        Assert.That(decision.Summary, Is.EqualTo("waiting for reports from variant 'v2' (none for 0:10; pauses at 0:30)"));
    }

    [Test]
    public void Evaluate_StoppedRelease_DoesNothing()
    {
        var state = _engine.Start(Plan()) with { Status = ReleaseStatus.Paused, PauseReason = PauseReason.SampleRatioMismatch };

        var decision = _engine.Evaluate(state, [Report("a", "v2", 200, 200)]);

        Assert.That(decision.Action, Is.EqualTo(ReleaseAction.None));
        Assert.That(decision.State, Is.SameAs(state));
    }

    [Test]
    public void State_JsonRoundTrip_ResumesWithTheSameDecision()
    {
        var state = _engine.Start(Plan() with { Steps = [50, 100], Guards = new ReleaseGuards { MaxErrorRate = 0.02 } });
        for (var i = 0; i < 5; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(10));
            state = _engine.Evaluate(state, [Report("a", "v2", 1_000, 12, latency: 45), Report("a", "v1", 1_000, 9, latency: 40)]).State;
        }

        var json = JsonSerializer.Serialize(state);
        var restored = JsonSerializer.Deserialize<ReleaseState>(json)!;
        _clock.Advance(TimeSpan.FromSeconds(10));
        ReleaseReport[] next = [Report("a", "v2", 1_000, 12, latency: 45), Report("a", "v1", 1_000, 9, latency: 40)];

        var original = _engine.Evaluate(state, next);
        var resumed = _engine.Evaluate(restored, next);

        Assert.That(restored.Treatment.Latency, Is.EqualTo(state.Treatment.Latency));
        Assert.That(restored.Plan.Steps, Is.EqualTo(state.Plan.Steps));
        Assert.That(JsonSerializer.Serialize(resumed.State), Is.EqualTo(JsonSerializer.Serialize(original.State)));
        Assert.That(resumed.Summary, Is.EqualTo(original.Summary));
    }

    [Test]
    public void Evaluate_ReportsMeasuredBeforeTheStepBegan_NotCounted()
    {
        var state = _engine.Start(Plan());
        var before = ReleaseSimulation.Epoch - TimeSpan.FromSeconds(5);
        _clock.Advance(TimeSpan.FromSeconds(10));
        var reports = new[]
        {
            Report("a", "v2", 100, 1) with { MeasuredFrom = before },
            Report("a", "v1", 9_900, 99) with { MeasuredFrom = before },
            Report("b", "v2", 30, 0) with { MeasuredFrom = ReleaseSimulation.Epoch },
            Report("b", "v1", 2_970, 30),
        };

        var decision = _engine.Evaluate(state, reports);

        Assert.That(decision.State.Treatment.Exposures, Is.EqualTo(30));
        Assert.That(decision.State.Control.Exposures, Is.EqualTo(2_970));
    }

    private static ReleasePlan Plan() => ReleaseSimulation.Plan();

    private static ReleaseReport Report(string instance, string variant, long requests, long failures, double latency = 40)
    {
        // Latencies spread ±20 % around the given value, so quantiles have width.
        var histogram = new LatencyHistogram();
        for (var i = 0; i < requests; i++)
        {
            histogram.Record(latency * (0.8 + 0.4 * (i % 100) / 100.0));
        }

        return new ReleaseReport(instance, "checkout-v2", variant, requests, requests, failures, histogram);
    }
}
