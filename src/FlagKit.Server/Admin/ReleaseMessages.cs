using FlagKit.Protocol.V1;
using FlagKit.Server.Releases;
using FlagKit.Server.Writes;
using FlagKit.Telemetry;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Server.Admin;

/// <summary>Between the admin API's release messages and the release runtime: plans from requests, infos from snapshots.</summary>
internal static class ReleaseMessages
{
    /// <summary>The most steps a release may have (one per whole percent).</summary>
    public const int MaxSteps = 100;

    /// <summary>The longest hold: 30 days.</summary>
    public const long MaxHoldMs = 30L * 24 * 3600 * 1000;

    /// <summary>The shortest evaluation interval (each evaluation stores the release's state).</summary>
    public const long MinIntervalMs = 100;

    /// <summary>The plan a start request asks for (unset fields take the defaults).</summary>
    /// <param name="request">The request.</param>
    /// <returns>The plan (not yet validated: <see cref="ReleasePlan.Validate"/> names each bad field).</returns>
    /// <exception cref="WriteRefusedException">Invalid: more steps, a longer hold or a shorter interval than allowed (checked before anything is built).</exception>
    public static ReleasePlan Plan(ReleaseStartRequest request)
    {
        if (request.Steps.Count > MaxSteps)
        {
            throw WriteRefusedException.Invalid($"steps: {request.Steps.Count} steps; the limit is {MaxSteps}.");
        }

        if (request.HasHoldMs && request.HoldMs is < 1 or > MaxHoldMs)
        {
            throw WriteRefusedException.Invalid($"hold_ms: {request.HoldMs} is not in 1..{MaxHoldMs} (30 days).");
        }

        if (request.HasIntervalMs && request.IntervalMs is < MinIntervalMs or > MaxHoldMs)
        {
            throw WriteRefusedException.Invalid($"interval_ms: {request.IntervalMs} is not in {MinIntervalMs}..{MaxHoldMs}.");
        }

        var plan = new ReleasePlan { Flag = request.Flag, Treatment = request.Treatment, Control = request.Control };
        var guards = plan.Guards;
        guards = guards with
        {
            MaxErrorRateIncrease = request.HasMaxErrorIncreasePercent ? request.MaxErrorIncreasePercent / 100 : guards.MaxErrorRateIncrease,
            MaxP95Increase = request.HasMaxP95IncreasePercent ? request.MaxP95IncreasePercent / 100 : guards.MaxP95Increase,
            MaxP99Increase = request.HasMaxP99IncreasePercent ? request.MaxP99IncreasePercent / 100 : guards.MaxP99Increase,
            MaxErrorRate = request.HasMaxErrorRatePercent ? request.MaxErrorRatePercent / 100 : null,
            MaxP95Milliseconds = request.HasMaxP95Ms ? request.MaxP95Ms : null,
        };
        return plan with
        {
            Steps = request.Steps.Count > 0 ? request.Steps.ToArray() : plan.Steps,
            Hold = request.HasHoldMs ? TimeSpan.FromMilliseconds(request.HoldMs) : plan.Hold,
            Interval = request.HasIntervalMs ? TimeSpan.FromMilliseconds(request.IntervalMs) : plan.Interval,
            MinimumSample = request.HasMinimumSample ? request.MinimumSample : plan.MinimumSample,
            Rollback = request.Rollback == ReleaseRollback.Kill ? RollbackAction.Kill : RollbackAction.ToZero,
            Guards = guards,
        };
    }

    /// <summary>A release as the admin API returns it.</summary>
    /// <param name="release">The release.</param>
    /// <param name="now">The time now (for the time to the next step).</param>
    /// <returns>The info.</returns>
    public static ReleaseInfo Info(ReleaseSnapshot release, DateTimeOffset now)
    {
        var state = release.State;
        var plan = state.Plan;
        var info = new ReleaseInfo
        {
            Id = release.Id,
            Environment = release.Environment,
            Flag = plan.Flag,
            Treatment = plan.Treatment,
            Control = plan.Control,
            Status = Status(state.Status),
            PauseReason = state.Status == ReleaseStatus.Paused ? state.PauseReason.ToString().ToLowerInvariant() : "",
            StepIndex = state.StepIndex,
            TreatmentPercent = state.TreatmentPercent,
            HoldMs = (long)plan.Hold.TotalMilliseconds,
            IntervalMs = (long)plan.Interval.TotalMilliseconds,
            StartedAt = Timestamp.FromDateTimeOffset(state.StartedAt),
            StepStartedAt = Timestamp.FromDateTimeOffset(state.StepStartedAt),
            NextStepInMs = state.Status == ReleaseStatus.Running ? Math.Max(0, (long)(state.StepStartedAt + plan.Hold - now).TotalMilliseconds) : 0,
            Verdict = Verdict(state.LastVerdict),
            Summary = state.LastSummary,
            TreatmentFigures = Figures(plan.Treatment, state.Treatment),
            ControlFigures = Figures(plan.Control, state.Control),
            MinimumSample = plan.MinimumSample,
            MaxErrorIncreasePercent = plan.Guards.MaxErrorRateIncrease * 100,
            MaxP95IncreasePercent = plan.Guards.MaxP95Increase * 100,
            MaxP99IncreasePercent = plan.Guards.MaxP99Increase * 100,
            Rollback = plan.Rollback == RollbackAction.Kill ? ReleaseRollback.Kill : ReleaseRollback.ToZero,
            CreatedBy = release.CreatedBy,
        };
        info.Steps.AddRange(plan.Steps);
        if (state.EndedAt is { } ended)
        {
            info.EndedAt = Timestamp.FromDateTimeOffset(ended);
        }

        if (plan.Guards.MaxErrorRate is { } rate)
        {
            info.MaxErrorRatePercent = rate * 100;
        }

        if (plan.Guards.MaxP95Milliseconds is { } p95)
        {
            info.MaxP95Ms = p95;
        }

        info.Events.AddRange(release.Events.Select(e => new ReleaseEvent
        {
            Time = Timestamp.FromDateTimeOffset(e.Time), Kind = e.Kind, Actor = e.Actor, Percent = e.Percent, Summary = e.Summary,
        }));
        return info;
    }

    private static ReleaseVariantFigures Figures(string variant, VariantTally tally)
    {
        var latency = LatencyHistogram.FromArray(tally.Latency);
        var any = latency.Count > 0;
        return new ReleaseVariantFigures
        {
            Variant = variant,
            Exposures = tally.Exposures,
            Requests = tally.Requests,
            Failures = tally.Failures,
            ErrorRate = tally.ErrorRate,
            P95Ms = any ? latency.Percentile(0.95) : 0,
            P99Ms = any ? latency.Percentile(0.99) : 0,
        };
    }

    private static ReleaseRunStatus Status(ReleaseStatus status) => status switch
    {
        ReleaseStatus.Running => ReleaseRunStatus.Running,
        ReleaseStatus.Paused => ReleaseRunStatus.Paused,
        ReleaseStatus.RolledBack => ReleaseRunStatus.RolledBack,
        ReleaseStatus.Completed => ReleaseRunStatus.Completed,
        ReleaseStatus.Aborted => ReleaseRunStatus.Aborted,
        _ => ReleaseRunStatus.Unspecified,
    };

    private static string Verdict(ReleaseVerdict verdict) => verdict switch
    {
        ReleaseVerdict.Harm => "harm",
        ReleaseVerdict.NoHarmShown => "no_harm_shown",
        _ => "not_enough_data",
    };
}
