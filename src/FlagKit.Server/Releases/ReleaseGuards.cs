namespace FlagKit.Server.Releases;

/// <summary>
/// What counts as harm. Relative guards compare the treatment with the control over the same window; absolute limits
/// judge the treatment alone (both with statistics, past the minimum sample); ceilings act from the first interval
/// without statistics.
/// </summary>
internal sealed record ReleaseGuards
{
    /// <summary>Harm when the treatment's error rate is more than this fraction above the control's (0.10 = +10 %).</summary>
    public double MaxErrorRateIncrease { get; init; } = 0.10;

    /// <summary>Harm when the treatment's p95 latency is more than this fraction above the control's.</summary>
    public double MaxP95Increase { get; init; } = 0.20;

    /// <summary>Harm when the treatment's p99 latency is more than this fraction above the control's.</summary>
    public double MaxP99Increase { get; init; } = 0.20;

    /// <summary>Optional: harm when the treatment's error rate is shown to be above this (e.g. 0.003).</summary>
    public double? MaxErrorRate { get; init; }

    /// <summary>Optional: harm when the treatment's p95 latency is shown to be above this many milliseconds.</summary>
    public double? MaxP95Milliseconds { get; init; }

    /// <summary>Ceiling, no statistics: the treatment's error rate in an interval or in the step above this rolls back at once.</summary>
    public double CeilingErrorRate { get; init; } = 0.05;

    /// <summary>The treatment requests (in the interval, or the step) the error ceiling needs before it acts.</summary>
    public long CeilingMinimumRequests { get; init; } = 100;

    /// <summary>Optional ceiling, no statistics: the treatment's p99 in the step above this many milliseconds (with the ceiling's minimum requests).</summary>
    public double? CeilingP99Milliseconds { get; init; }

    /// <summary>The error-rate tests' false-rollback budget over the whole release (always-valid, any number of looks).</summary>
    public double ErrorAlpha { get; init; } = 0.005;

    /// <summary>The one-sided confidence of each latency quantile bound (as a normal quantile; 3.09 ≈ 99.9 %).</summary>
    public double LatencyZ { get; init; } = 3.09;

    /// <summary>Consecutive evaluations a latency breach must hold before it is harm.</summary>
    public int LatencyConfirmations { get; init; } = 3;

    /// <summary>The sample ratio test's false-pause budget per step (always-valid).</summary>
    public double SampleRatioAlpha { get; init; } = 0.001;

    /// <summary>The problems with these guards, each naming its field; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (!(MaxErrorRateIncrease >= 0 && MaxErrorRateIncrease <= 10)) yield return FormattableString.Invariant($"guards.maxErrorRateIncrease: {MaxErrorRateIncrease} is not in 0..10.");
        if (!(MaxP95Increase >= 0 && MaxP95Increase <= 10)) yield return FormattableString.Invariant($"guards.maxP95Increase: {MaxP95Increase} is not in 0..10.");
        if (!(MaxP99Increase >= 0 && MaxP99Increase <= 10)) yield return FormattableString.Invariant($"guards.maxP99Increase: {MaxP99Increase} is not in 0..10.");
        if (MaxErrorRate is { } rate && !(rate > 0 && rate < 1)) yield return FormattableString.Invariant($"guards.maxErrorRate: {rate} is not in (0, 1).");
        if (MaxP95Milliseconds is { } p95 && !(p95 > 0)) yield return FormattableString.Invariant($"guards.maxP95Milliseconds: {p95} is not positive.");
        if (!(CeilingErrorRate > 0 && CeilingErrorRate <= 1)) yield return FormattableString.Invariant($"guards.ceilingErrorRate: {CeilingErrorRate} is not in (0, 1].");
        if (CeilingMinimumRequests < 1) yield return FormattableString.Invariant($"guards.ceilingMinimumRequests: {CeilingMinimumRequests} is below 1.");
        if (CeilingP99Milliseconds is { } p99 && !(p99 > 0)) yield return FormattableString.Invariant($"guards.ceilingP99Milliseconds: {p99} is not positive.");
        if (!(ErrorAlpha > 0 && ErrorAlpha < 0.5)) yield return FormattableString.Invariant($"guards.errorAlpha: {ErrorAlpha} is not in (0, 0.5).");
        if (!(LatencyZ >= 1 && LatencyZ <= 6)) yield return FormattableString.Invariant($"guards.latencyZ: {LatencyZ} is not in 1..6.");
        if (LatencyConfirmations < 1) yield return FormattableString.Invariant($"guards.latencyConfirmations: {LatencyConfirmations} is below 1.");
        if (!(SampleRatioAlpha > 0 && SampleRatioAlpha < 0.5)) yield return FormattableString.Invariant($"guards.sampleRatioAlpha: {SampleRatioAlpha} is not in (0, 0.5).");
    }
}
