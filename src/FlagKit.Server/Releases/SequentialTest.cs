using FlagKit.Telemetry;

namespace FlagKit.Server.Releases;

/// <summary>
/// The statistics of a release. Counts: a mixture sequential probability ratio test (mSPRT) on a sum of
/// approximately normal increments, valid however often it is looked at. Latency: distribution-free confidence bounds
/// on quantiles read from merged histograms.
/// </summary>
internal static class SequentialTest
{
    /// <summary>The mixing variance of the error tests, per unit of failure-count variance (tuned for decisions at ≈ 50–500 failures of variance).</summary>
    public const double ErrorMixing = 0.05;

    /// <summary>The mixing variance of the sample ratio test, per unit of exposure-count variance.</summary>
    public const double SampleRatioMixing = 0.001;

    /// <summary>
    /// Whether the evidence crosses the always-valid boundary: the mixture likelihood ratio
    /// Λ = (1 + ρV)^(−1/2) · exp(ρS² / (2(1 + ρV))) reaches 1/α. Under the null, S is a martingale with variance V, so by
    /// Ville's inequality the chance Λ ever reaches 1/α, at any number of looks, is at most α.
    /// </summary>
    /// <param name="excess">S: the observed count minus its expectation under the null.</param>
    /// <param name="variance">V: the variance of S under the null.</param>
    /// <param name="alpha">The false-alarm budget.</param>
    /// <param name="mixing">ρ: the mixing variance (per unit of V).</param>
    /// <param name="upperOnly">True to count only excess above the null (one-sided harm).</param>
    public static bool Crosses(double excess, double variance, double alpha, double mixing, bool upperOnly)
    {
        if (!(variance > 0) || (upperOnly && excess <= 0))
        {
            return false;
        }

        var spread = 1 + mixing * variance;
        var logLikelihoodRatio = -0.5 * Math.Log(spread) + mixing * excess * excess / (2 * spread);
        return logLikelihoodRatio >= Math.Log(1 / alpha);
    }

    /// <summary>The standardized excess S/√V (for the words of a verdict); 0 without variance.</summary>
    public static double Z(double excess, double variance) => variance > 0 ? excess / Math.Sqrt(variance) : 0;

    /// <summary>
    /// A lower confidence bound on the <paramref name="quantile"/> of histogram bucket counts: the value at rank
    /// nq − z√(nq(1−q)) (the order statistic's binomial bound), as the bucket's representative.
    /// </summary>
    public static double QuantileLowerBound(ReadOnlySpan<long> histogram, long count, double quantile, double z)
    {
        var spread = z * Math.Sqrt(count * quantile * (1 - quantile));
        return LatencyHistogram.ValueAtRank(histogram, (long)Math.Floor(count * quantile - spread));
    }

    /// <summary>An upper confidence bound on the <paramref name="quantile"/>: the value at rank nq + z√(nq(1−q)) + 1.</summary>
    public static double QuantileUpperBound(ReadOnlySpan<long> histogram, long count, double quantile, double z)
    {
        var spread = z * Math.Sqrt(count * quantile * (1 - quantile));
        return LatencyHistogram.ValueAtRank(histogram, Math.Min(count, (long)Math.Ceiling(count * quantile + spread) + 1));
    }
}
