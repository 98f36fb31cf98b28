namespace FlagKit.Server.Releases;

/// <summary>
/// Everything a release needs to resume: plain, serializable data (it is stored with the flag). Only
/// <see cref="ReleaseEngine"/> makes new states.
/// </summary>
internal sealed record ReleaseState
{
    /// <summary>The plan being run.</summary>
    public required ReleasePlan Plan { get; init; }

    /// <summary>Where the release stands.</summary>
    public ReleaseStatus Status { get; init; }

    /// <summary>Why it paused (with <see cref="ReleaseStatus.Paused"/>).</summary>
    public PauseReason PauseReason { get; init; }

    /// <summary>The index of the current step in <see cref="ReleasePlan.Steps"/>.</summary>
    public int StepIndex { get; init; }

    /// <summary>When the release started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the current step started (its hold counts from here).</summary>
    public DateTimeOffset StepStartedAt { get; init; }

    /// <summary>When the release stopped (rolled back, paused or completed).</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The treatment's figures in the current step.</summary>
    public VariantTally Treatment { get; init; } = VariantTally.Empty;

    /// <summary>The control's figures in the current step.</summary>
    public VariantTally Control { get; init; } = VariantTally.Empty;

    /// <summary>When the treatment last sent a report (null: never in this release).</summary>
    public DateTimeOffset? TreatmentLastReportAt { get; init; }

    /// <summary>When the control last sent a report (null: never in this release).</summary>
    public DateTimeOffset? ControlLastReportAt { get; init; }

    /// <summary>The relative error test's evidence over the whole release: treatment failures minus their expectation at the guard's bound, summed over (instance, interval) strata.</summary>
    public double ErrorExcess { get; init; }

    /// <summary>The variance of <see cref="ErrorExcess"/> at the bound.</summary>
    public double ErrorVariance { get; init; }

    /// <summary>The absolute error-rate limit's evidence over the whole release (when that limit is set).</summary>
    public double LimitExcess { get; init; }

    /// <summary>The variance of <see cref="LimitExcess"/>.</summary>
    public double LimitVariance { get; init; }

    /// <summary>Consecutive evaluations in which a latency guard was breached.</summary>
    public int LatencyBreaches { get; init; }

    /// <summary>The last evaluation's verdict.</summary>
    public ReleaseVerdict LastVerdict { get; init; }

    /// <summary>The last evaluation's figures and reason, in words (the comment of the write it makes).</summary>
    public string LastSummary { get; init; } = "";

    /// <summary>The treatment's current share in percent (0 after a rollback or an abort).</summary>
    public int TreatmentPercent => Status is ReleaseStatus.RolledBack or ReleaseStatus.Aborted ? 0 : Plan.Steps[StepIndex];

    /// <summary>Whether the release is running or paused (it holds its flag: one per flag per environment).</summary>
    public bool IsActive => Status is ReleaseStatus.Running or ReleaseStatus.Paused;
}
