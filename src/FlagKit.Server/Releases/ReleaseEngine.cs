using System.Globalization;
using FlagKit.Telemetry;

namespace FlagKit.Server.Releases;

/// <summary>
/// The decision core of a guarded release: from one interval's SDK reports and the stored state, the verdict (harm,
/// no harm shown, not enough data) and the action (hold, advance, roll back, pause, complete). Pure apart from the
/// clock: the caller stores the returned state and carries out the action.
/// </summary>
/// <remarks>
/// Order of judgement each interval: count the valid reports; absolute ceilings (no statistics, from the first
/// interval); data guards (a variant's reports stopped, sample ratio mismatch: pause, figures not trusted); past the
/// minimum sample, the relative and absolute error tests (always-valid mSPRT) and the latency guards (quantile bounds,
/// confirmed over consecutive intervals); then the step's clock (advance after a healthy hold with the minimum sample,
/// pause as inconclusive when the sample never comes). See docs/releases.md.
/// </remarks>
internal sealed class ReleaseEngine(TimeProvider time)
{
    private static readonly (double Quantile, string Name)[] LatencyQuantiles = [(0.95, "p95"), (0.99, "p99")];

    /// <summary>Starts a release at its first step. Throws <see cref="ArgumentException"/> listing every problem of an invalid plan.</summary>
    public ReleaseState Start(ReleasePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var problems = plan.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid release plan: " + string.Join(" ", problems), nameof(plan));
        }

        var now = time.GetUtcNow();
        return new ReleaseState
        {
            Plan = plan,
            Status = ReleaseStatus.Running,
            StartedAt = now,
            StepStartedAt = now,
            LastSummary = $"started at {plan.Steps[0]} %",
        };
    }

    /// <summary>Judges the reports that arrived since the last evaluation (one interval) and decides what to do.</summary>
    /// <param name="state">The stored state.</param>
    /// <param name="reports">The interval's reports.</param>
    /// <param name="frozen">
    /// When the environment is frozen: the freeze in words (<c>freeze 'euro-final' until …</c>). A step that is due
    /// then holds instead and says it waits for it; harm still rolls back and data guards still pause.
    /// </param>
    public ReleaseDecision Evaluate(ReleaseState state, IReadOnlyList<ReleaseReport> reports, string? frozen = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(reports);
        if (state.Status != ReleaseStatus.Running)
        {
            return new ReleaseDecision(state, state.LastVerdict, ReleaseAction.None, $"release is {state.Status.ToString().ToLowerInvariant()}", []);
        }

        var now = time.GetUtcNow();
        // Figures counted (partly) before this step began were served the previous step's split: counting them would
        // skew the step's sample ratio and mix two treatments' shares, so they are left out.
        var stepStart = state.StepStartedAt;
        var current = reports.Where(r => r is null || r.MeasuredFrom is not { } from || from >= stepStart).ToList();
        var (treatment, control, rejected) = Sort(state.Plan, current);
        state = Ingest(state, treatment, control, now);
        var decision = Ceiling(state, treatment, now)
            ?? DataGuards(state, now)
            ?? Judge(state, now)
            ?? Progress(state, now, frozen);
        return decision with
        {
            State = decision.State with { LastVerdict = decision.Verdict, LastSummary = decision.Summary },
            Rejected = rejected,
        };
    }

    /// <summary>
    /// Pauses a running release from outside: an operator (<see cref="PauseReason.Operator"/>), someone else's write to
    /// the flag (<see cref="PauseReason.FlagChanged"/>), a write the release could not make. The step's share is kept.
    /// </summary>
    /// <returns>The decision (action <see cref="ReleaseAction.None"/> when the release was not running).</returns>
    public ReleaseDecision Interrupt(ReleaseState state, PauseReason reason, string why)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Status != ReleaseStatus.Running)
        {
            return NotRunning(state);
        }

        var paused = state with { Status = ReleaseStatus.Paused, PauseReason = reason, EndedAt = time.GetUtcNow() };
        return Operated(paused, ReleaseAction.Pause, $"{why}: paused at {state.TreatmentPercent} %");
    }

    /// <summary>
    /// Resumes a paused release on its current step: the step's hold starts again with fresh figures (what was
    /// gathered before the pause may be distrusted or stale); the release's error evidence is kept.
    /// </summary>
    /// <returns>The decision (action <see cref="ReleaseAction.Hold"/>; <see cref="ReleaseAction.None"/> when it was not paused).</returns>
    public ReleaseDecision Resume(ReleaseState state, string by)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Status != ReleaseStatus.Paused)
        {
            return NotRunning(state);
        }

        var resumed = Fresh(state with { Status = ReleaseStatus.Running }, time.GetUtcNow());
        return Operated(resumed, ReleaseAction.Hold, $"resumed at {state.TreatmentPercent} % by {by}: the step's hold starts again");
    }

    /// <summary>An operator's "next step now": a running or paused release moves to its next step (completing at 100 %).</summary>
    /// <returns>The decision (<see cref="ReleaseAction.Advance"/> or <see cref="ReleaseAction.Complete"/>; <see cref="ReleaseAction.None"/> when it had ended).</returns>
    public ReleaseDecision Promote(ReleaseState state, string by)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.IsActive)
        {
            return NotRunning(state);
        }

        var now = time.GetUtcNow();
        var moved = Fresh(state with { Status = ReleaseStatus.Running, StepIndex = state.StepIndex + 1 }, now);
        var percent = moved.Plan.Steps[moved.StepIndex];
        return percent == 100
            ? Operated(moved with { Status = ReleaseStatus.Completed, EndedAt = now }, ReleaseAction.Complete, $"promoted by {by} from {state.TreatmentPercent} %: completed at 100 %")
            : Operated(moved, ReleaseAction.Advance, $"promoted by {by} from {state.TreatmentPercent} %: advanced to {percent} %");
    }

    /// <summary>An operator's abort: a running or paused release stops and its treatment goes back to 0 %.</summary>
    /// <returns>The decision (<see cref="ReleaseAction.RollBack"/>; <see cref="ReleaseAction.None"/> when it had ended).</returns>
    public ReleaseDecision Abort(ReleaseState state, string by)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.IsActive)
        {
            return NotRunning(state);
        }

        var aborted = state with { Status = ReleaseStatus.Aborted, EndedAt = time.GetUtcNow() };
        return Operated(aborted, ReleaseAction.RollBack, $"aborted by {by} at {state.TreatmentPercent} %: rolled back to 0 %");
    }

    /// <summary>
    /// A running release loaded after a server restart: the step's clock and the report clocks move on by the time the
    /// server was down, so the hold resumes where it stopped (the outage is neither counted as held nor as reports missed).
    /// </summary>
    /// <param name="state">The stored state.</param>
    /// <param name="savedAt">When it was last saved.</param>
    /// <returns>The state to run on.</returns>
    public ReleaseState AfterRestart(ReleaseState state, DateTimeOffset savedAt)
    {
        ArgumentNullException.ThrowIfNull(state);
        var down = time.GetUtcNow() - savedAt;
        if (state.Status != ReleaseStatus.Running || down <= TimeSpan.Zero)
        {
            return state;
        }

        return state with
        {
            StepStartedAt = state.StepStartedAt + down,
            TreatmentLastReportAt = state.TreatmentLastReportAt + down,
            ControlLastReportAt = state.ControlLastReportAt + down,
        };
    }

    private static ReleaseState Fresh(ReleaseState state, DateTimeOffset now) => state with
    {
        PauseReason = PauseReason.None,
        EndedAt = null,
        StepStartedAt = now,
        Treatment = VariantTally.Empty,
        Control = VariantTally.Empty,
        TreatmentLastReportAt = null,
        ControlLastReportAt = null,
        LatencyBreaches = 0,
    };

    private static ReleaseDecision Operated(ReleaseState state, ReleaseAction action, string summary) =>
        new(state with { LastSummary = summary }, state.LastVerdict, action, summary, []);

    private static ReleaseDecision NotRunning(ReleaseState state) =>
        new(state, state.LastVerdict, ReleaseAction.None, $"release is {state.Status.ToString().ToLowerInvariant()}", []);

    private static (List<ReleaseReport> Treatment, List<ReleaseReport> Control, List<string> Rejected) Sort(
        ReleasePlan plan, IReadOnlyList<ReleaseReport> reports)
    {
        var treatment = new List<ReleaseReport>();
        var control = new List<ReleaseReport>();
        var rejected = new List<string>();
        for (var i = 0; i < reports.Count; i++)
        {
            var report = reports[i];
            var problem = report is null ? "report is null." : report.Problem();
            if (problem is null && report!.Flag != plan.Flag)
            {
                problem = $"flag '{report.Flag}' is not the release's flag '{plan.Flag}'.";
            }

            if (problem is not null)
            {
                rejected.Add($"reports[{i}]: {problem}");
            }
            else if (report!.Variant == plan.Treatment)
            {
                treatment.Add(report);
            }
            else if (report.Variant == plan.Control)
            {
                control.Add(report);
            }
            else
            {
                rejected.Add($"reports[{i}]: variant '{report.Variant}' is neither the treatment '{plan.Treatment}' nor the control '{plan.Control}'.");
            }
        }

        return (treatment, control, rejected);
    }

    private static ReleaseState Ingest(ReleaseState state, List<ReleaseReport> treatment, List<ReleaseReport> control, DateTimeOffset now)
    {
        var (errorExcess, errorVariance) = RelativeErrorEvidence(state.Plan.Guards, treatment, control);
        var (limitExcess, limitVariance) = AbsoluteErrorEvidence(state.Plan.Guards, treatment);
        return state with
        {
            Treatment = state.Treatment.Add(treatment),
            Control = state.Control.Add(control),
            TreatmentLastReportAt = treatment.Count > 0 ? now : state.TreatmentLastReportAt,
            ControlLastReportAt = control.Count > 0 ? now : state.ControlLastReportAt,
            ErrorExcess = state.ErrorExcess + errorExcess,
            ErrorVariance = state.ErrorVariance + errorVariance,
            LimitExcess = state.LimitExcess + limitExcess,
            LimitVariance = state.LimitVariance + limitVariance,
        };
    }

    /// <summary>
    /// Per SDK instance (one stratum per instance and interval): given the failures F of both variants there, under the
    /// guard's bound (treatment rate = (1 + increase) × control rate) each failure is the treatment's with probability
    /// θ = r·n_t / (r·n_t + n_c). The evidence is Σ(f_t − Fθ) with variance ΣFθ(1−θ); the instance's base rate cancels.
    /// </summary>
    private static (double Excess, double Variance) RelativeErrorEvidence(ReleaseGuards guards, List<ReleaseReport> treatment, List<ReleaseReport> control)
    {
        var ratio = 1 + guards.MaxErrorRateIncrease;
        var strata = new Dictionary<string, (long Nt, long Ft, long Nc, long Fc)>(StringComparer.Ordinal);
        foreach (var report in treatment)
        {
            var s = strata.GetValueOrDefault(report.Instance);
            strata[report.Instance] = (s.Nt + report.Requests, s.Ft + report.Failures, s.Nc, s.Fc);
        }

        foreach (var report in control)
        {
            var s = strata.GetValueOrDefault(report.Instance);
            strata[report.Instance] = (s.Nt, s.Ft, s.Nc + report.Requests, s.Fc + report.Failures);
        }

        double excess = 0, variance = 0;
        foreach (var (nt, ft, nc, fc) in strata.Values)
        {
            var failures = ft + fc;
            if (nt == 0 || nc == 0 || failures == 0)
            {
                continue; // no comparison in this stratum
            }

            var share = ratio * nt / (ratio * nt + nc);
            excess += ft - failures * share;
            variance += failures * share * (1 - share);
        }

        return (excess, variance);
    }

    private static (double Excess, double Variance) AbsoluteErrorEvidence(ReleaseGuards guards, List<ReleaseReport> treatment)
    {
        if (guards.MaxErrorRate is not { } limit)
        {
            return (0, 0);
        }

        double excess = 0, variance = 0;
        foreach (var report in treatment)
        {
            excess += report.Failures - report.Requests * limit;
            variance += report.Requests * limit * (1 - limit);
        }

        return (excess, variance);
    }

    private static ReleaseDecision? Ceiling(ReleaseState state, List<ReleaseReport> treatment, DateTimeOffset now)
    {
        var guards = state.Plan.Guards;
        long requests = treatment.Sum(r => r.Requests), failures = treatment.Sum(r => r.Failures);
        if (requests >= guards.CeilingMinimumRequests && (double)failures / requests > guards.CeilingErrorRate)
        {
            return RollBack(state, now, $"errors {ReleaseText.Rate((double)failures / requests)} in the last interval above the {ReleaseText.Rate(guards.CeilingErrorRate)} ceiling, {ReleaseText.Count(requests)} requests");
        }

        var step = state.Treatment;
        if (step.Requests >= guards.CeilingMinimumRequests && step.ErrorRate > guards.CeilingErrorRate)
        {
            return RollBack(state, now, $"errors {ReleaseText.Rate(step.ErrorRate)} in the step above the {ReleaseText.Rate(guards.CeilingErrorRate)} ceiling, {ReleaseText.Count(step.Requests)} requests");
        }

        if (guards.CeilingP99Milliseconds is not { } p99Ceiling)
        {
            return null;
        }

        var latency = LatencyHistogram.FromArray(step.Latency);
        var count = latency.Count;
        return count >= guards.CeilingMinimumRequests && latency.Percentile(0.99) > p99Ceiling
            ? RollBack(state, now, $"p99 {ReleaseText.Milliseconds(latency.Percentile(0.99))} in the step above the {ReleaseText.Milliseconds(p99Ceiling)} ceiling, {ReleaseText.Count(count)} requests")
            : null;
    }

    private static ReleaseDecision? DataGuards(ReleaseState state, DateTimeOffset now)
    {
        var plan = state.Plan;
        var staleAfter = plan.Interval * plan.StaleAfterIntervals;
        foreach (var (variant, last) in new[] { (plan.Treatment, state.TreatmentLastReportAt), (plan.Control, state.ControlLastReportAt) })
        {
            if (last is { } seen && now - seen >= staleAfter)
            {
                return Pause(state, now, PauseReason.ReportsStopped, $"no reports from variant '{variant}' for {ReleaseText.Duration(now - seen)}");
            }
        }

        foreach (var (variant, last) in new[] { (plan.Treatment, state.TreatmentLastReportAt), (plan.Control, state.ControlLastReportAt) })
        {
            if (last is { } seen && seen < now)
            {
                // One arm missed this interval: its figures lag the other's, so nothing is judged until it catches up.
                return Hold(state, ReleaseVerdict.NotEnoughData,
                    $"waiting for reports from variant '{variant}' (none for {ReleaseText.Duration(now - seen)}; pauses at {ReleaseText.Duration(staleAfter)})");
            }
        }

        var share = plan.Steps[state.StepIndex] / 100.0;
        long exposedTreatment = state.Treatment.Exposures, exposed = exposedTreatment + state.Control.Exposures;
        var excess = exposedTreatment - exposed * share;
        var variance = exposed * share * (1 - share);
        if (SequentialTest.Crosses(excess, variance, plan.Guards.SampleRatioAlpha, SequentialTest.SampleRatioMixing, upperOnly: false))
        {
            return Pause(state, now, PauseReason.SampleRatioMismatch,
                $"sample ratio mismatch: treatment exposures {ReleaseText.Rate((double)exposedTreatment / exposed)} vs {ReleaseText.Rate(share)} configured ({ReleaseText.Count(exposedTreatment)} of {ReleaseText.Count(exposed)}, p < {plan.Guards.SampleRatioAlpha.ToString(CultureInfo.InvariantCulture)})");
        }

        return null;
    }

    private static ReleaseDecision? Judge(ReleaseState state, DateTimeOffset now)
    {
        if (!HasMinimumSample(state))
        {
            return null;
        }

        var guards = state.Plan.Guards;
        VariantTally treatment = state.Treatment, control = state.Control;
        if (SequentialTest.Crosses(state.ErrorExcess, state.ErrorVariance, guards.ErrorAlpha, SequentialTest.ErrorMixing, upperOnly: true))
        {
            return RollBack(state, now, $"errors {ReleaseText.Rate(treatment.ErrorRate)} vs {ReleaseText.Rate(control.ErrorRate)}, {ReleaseText.Change(treatment.ErrorRate, control.ErrorRate)}, {ReleaseText.Count(treatment.Requests)} requests");
        }

        if (guards.MaxErrorRate is { } limit
            && SequentialTest.Crosses(state.LimitExcess, state.LimitVariance, guards.ErrorAlpha, SequentialTest.ErrorMixing, upperOnly: true))
        {
            return RollBack(state, now, $"errors {ReleaseText.Rate(treatment.ErrorRate)} above the {ReleaseText.Rate(limit)} limit, {ReleaseText.Count(treatment.Requests)} requests");
        }

        var breach = LatencyBreach(state);
        if (breach is null)
        {
            return null;
        }

        var breaches = state.LatencyBreaches + 1;
        return breaches >= guards.LatencyConfirmations
            ? RollBack(state with { LatencyBreaches = breaches }, now, breach)
            : Hold(state with { LatencyBreaches = breaches }, ReleaseVerdict.NoHarmShown, $"{breach}: to confirm ({breaches} of {guards.LatencyConfirmations})");
    }

    /// <summary>
    /// A latency breach: the treatment's quantile is above (1 + increase) × the control's even when the treatment's is
    /// taken at its lower confidence bound and the control's at its upper one; or the treatment's p95 lower bound is
    /// above the absolute limit. Each quantile is judged only when both variants have at least 10 values beyond it.
    /// </summary>
    private static string? LatencyBreach(ReleaseState state)
    {
        var guards = state.Plan.Guards;
        var treatment = state.Treatment.Latency;
        var control = state.Control.Latency;
        long nt = LatencyHistogram.CountOf(treatment), nc = LatencyHistogram.CountOf(control);
        foreach (var (quantile, name) in LatencyQuantiles)
        {
            if (nt * (1 - quantile) < 10 || nc * (1 - quantile) < 10)
            {
                continue;
            }

            var increase = quantile == 0.95 ? guards.MaxP95Increase : guards.MaxP99Increase;
            var low = SequentialTest.QuantileLowerBound(treatment, nt, quantile, guards.LatencyZ);
            var high = SequentialTest.QuantileUpperBound(control, nc, quantile, guards.LatencyZ);
            if (low > (1 + increase) * high)
            {
                double t = Quantile(treatment, nt, quantile), c = Quantile(control, nc, quantile);
                return $"{name} {ReleaseText.Milliseconds(t)} vs {ReleaseText.Milliseconds(c)}, {ReleaseText.Change(t, c)}, {ReleaseText.Count(nt)} requests";
            }

            if (quantile == 0.95 && guards.MaxP95Milliseconds is { } limit && low > limit)
            {
                return $"p95 {ReleaseText.Milliseconds(Quantile(treatment, nt, quantile))} above the {ReleaseText.Milliseconds(limit)} limit, {ReleaseText.Count(nt)} requests";
            }
        }

        return null;
    }

    private static double Quantile(long[] counts, long count, double quantile) =>
        LatencyHistogram.ValueAtRank(counts, (long)Math.Ceiling(quantile * count));

    private static ReleaseDecision Progress(ReleaseState state, DateTimeOffset now, string? frozen)
    {
        var plan = state.Plan;
        state = state with { LatencyBreaches = 0 };
        var elapsed = now - state.StepStartedAt;
        var sampled = HasMinimumSample(state);
        var verdict = sampled ? ReleaseVerdict.NoHarmShown : ReleaseVerdict.NotEnoughData;
        var percent = plan.Steps[state.StepIndex];
        if (elapsed < plan.Hold)
        {
            return Hold(state, verdict, $"holding {percent} % ({ReleaseText.Duration(elapsed)} of {ReleaseText.Duration(plan.Hold)}): {Figures(state)}");
        }

        if (!sampled)
        {
            return elapsed >= plan.Hold * plan.InconclusiveAfterHolds
                ? Pause(state, now, PauseReason.Inconclusive, $"inconclusive at {percent} %: minimum sample {ReleaseText.Count(plan.MinimumSample)} per variant not reached in {ReleaseText.Duration(elapsed)} ({Figures(state)})")
                : Hold(state, verdict, $"holding {percent} % for the minimum sample ({Figures(state)})");
        }

        return frozen is null
            ? Advance(state, now)
            : Hold(state, verdict, $"no harm shown at {percent} % ({Figures(state)}): waiting for {frozen} to advance");
    }

    private static ReleaseDecision Advance(ReleaseState state, DateTimeOffset now)
    {
        var plan = state.Plan;
        var next = state.StepIndex + 1;
        var passed = $"no harm shown at {plan.Steps[state.StepIndex]} % ({Figures(state)})";
        var moved = state with
        {
            StepIndex = next,
            StepStartedAt = now,
            Treatment = VariantTally.Empty,
            Control = VariantTally.Empty,
        };
        if (plan.Steps[next] == 100)
        {
            return new ReleaseDecision(moved with { Status = ReleaseStatus.Completed, EndedAt = now }, ReleaseVerdict.NoHarmShown, ReleaseAction.Complete, $"{passed}: completed at 100 %", []);
        }

        return new ReleaseDecision(moved, ReleaseVerdict.NoHarmShown, ReleaseAction.Advance, $"{passed}: advanced to {plan.Steps[next]} %", []);
    }

    private static bool HasMinimumSample(ReleaseState state) =>
        state.Treatment.Requests >= state.Plan.MinimumSample && state.Control.Requests >= state.Plan.MinimumSample;

    private static string Figures(ReleaseState state) =>
        $"errors {ReleaseText.Rate(state.Treatment.ErrorRate)} vs {ReleaseText.Rate(state.Control.ErrorRate)}, {ReleaseText.Count(state.Treatment.Requests)} vs {ReleaseText.Count(state.Control.Requests)} requests";

    private static ReleaseDecision RollBack(ReleaseState state, DateTimeOffset now, string why)
    {
        var ended = state with { Status = ReleaseStatus.RolledBack, EndedAt = now };
        return new ReleaseDecision(ended, ReleaseVerdict.Harm, ReleaseAction.RollBack, $"{why}: {ReleaseText.Rollback(state.Plan.Rollback)}", []);
    }

    private static ReleaseDecision Pause(ReleaseState state, DateTimeOffset now, PauseReason reason, string why)
    {
        var paused = state with { Status = ReleaseStatus.Paused, PauseReason = reason, EndedAt = now };
        return new ReleaseDecision(paused, ReleaseVerdict.NotEnoughData, ReleaseAction.Pause, $"{why}: paused{(reason == PauseReason.Inconclusive ? "" : ", figures not trusted")}", []);
    }

    private static ReleaseDecision Hold(ReleaseState state, ReleaseVerdict verdict, string why) =>
        new(state, verdict, ReleaseAction.Hold, why, []);
}
