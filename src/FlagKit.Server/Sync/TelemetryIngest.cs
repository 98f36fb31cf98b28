using FlagKit.Protocol.V1;
using FlagKit.Server.Releases;
using FlagKit.Telemetry;
using Grpc.Core;

namespace FlagKit.Server.Sync;

/// <summary>
/// Takes the SDKs' <c>TelemetrySummary</c> messages off the sync streams: negotiates the format in Hello/Welcome,
/// checks every bound of a summary before any work (refusing it with INVALID_ARGUMENT naming the field, as for every
/// client field), and posts each variant of a watched flag as a <see cref="ReleaseReport"/> to the
/// <see cref="ReleaseReportInbox"/>. Variants of flags no release watches are skipped before anything is built.
/// </summary>
/// <remarks>Thread safe (a singleton shared by every stream).</remarks>
internal sealed class TelemetryIngest(ReleaseReportInbox inbox, TimeProvider time)
{
    /// <summary>The telemetry format this server takes.</summary>
    public const int Version = 1;

    /// <summary>Most entries in one summary (announced in <c>Welcome.max_telemetry_variants</c>).</summary>
    public const int MaxVariantsPerSummary = 256;

    private long _summaries;
    private long _reports;
    private long _ignored;

    /// <summary>Summaries accepted since start.</summary>
    public long Summaries => Interlocked.Read(ref _summaries);

    /// <summary>Reports posted to the inbox since start.</summary>
    public long Reports => Interlocked.Read(ref _reports);

    /// <summary>Summaries ignored because the stream did not negotiate telemetry.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>The telemetry version for a stream: <see cref="Version"/> when the Hello offers it, else 0 (none).</summary>
    /// <param name="hello">The SDK's Hello (its version list is bounded by the caller).</param>
    /// <returns>The version to put in Welcome.</returns>
    public static int Negotiate(Hello hello) => hello.TelemetryVersions.Contains(Version) ? Version : 0;

    /// <summary>Checks a summary and posts its variants of watched flags.</summary>
    /// <param name="environment">The stream's environment.</param>
    /// <param name="instance">The SDK instance (its Hello's instance id).</param>
    /// <param name="negotiated">The telemetry version the stream's Welcome announced (0: none; the summary is ignored).</param>
    /// <param name="summary">The message.</param>
    /// <exception cref="RpcException">INVALID_ARGUMENT naming the field over its bound.</exception>
    public void Receive(string environment, string instance, int negotiated, TelemetrySummary summary)
    {
        if (negotiated != Version)
        {
            Interlocked.Increment(ref _ignored);
            return;
        }

        if (Problem(summary) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }

        Interlocked.Increment(ref _summaries);
        // When the interval began, by this server's clock (the SDK's may be skewed): it ended about now.
        var measuredFrom = time.GetUtcNow() - TimeSpan.FromMilliseconds(summary.IntervalMs);
        foreach (var variant in summary.Variants)
        {
            if (!inbox.IsWatched(environment, variant.Flag))
            {
                continue;
            }

            var report = new ReleaseReport(instance, variant.Flag, variant.Variant, variant.Exposures, variant.Requests, variant.Failures, Histogram(variant.Latency), measuredFrom);
            if (inbox.Post(environment, report))
            {
                Interlocked.Increment(ref _reports);
            }
        }
    }

    /// <summary>What is wrong with a summary, naming the field; null when every bound holds.</summary>
    /// <param name="summary">The message.</param>
    /// <returns>The problem, or null.</returns>
    public static string? Problem(TelemetrySummary summary)
    {
        const string at = "TelemetrySummary";
        if (summary.Variants.Count > MaxVariantsPerSummary)
        {
            return $"{at}.variants has {summary.Variants.Count} entries; the limit is {MaxVariantsPerSummary}.";
        }

        if (summary.IntervalMs < 0 || summary.DroppedSummaries < 0 || summary.UntrackedEvents < 0)
        {
            return $"{at}: interval_ms ({summary.IntervalMs}), dropped_summaries ({summary.DroppedSummaries}) and untracked_events ({summary.UntrackedEvents}) must not be negative.";
        }

        for (var i = 0; i < summary.Variants.Count; i++)
        {
            if (VariantProblem(summary.Variants[i], $"{at}.variants[{i}]") is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? VariantProblem(TelemetryVariant v, string at)
    {
        if (v.Flag.Length == 0 || v.Variant.Length == 0)
        {
            return $"{at}: flag and variant must not be empty.";
        }

        if (v.Exposures < 0 || v.Requests < 0)
        {
            return $"{at}: exposures ({v.Exposures}) and requests ({v.Requests}) must not be negative.";
        }

        if (v.Failures < 0 || v.Failures > v.Requests)
        {
            return $"{at}.failures: {v.Failures} is not in 0..requests ({v.Requests}).";
        }

        return v.Latency is null ? null : HistogramProblem(v.Latency, at + ".latency");
    }

    private static string? HistogramProblem(TelemetryHistogram h, string at)
    {
        if (h.Buckets.Count == 0 && h.Counts.Count == 0)
        {
            return null;
        }

        if (h.LayoutVersion != LatencyHistogram.LayoutVersion)
        {
            return $"{at}.layout_version: {h.LayoutVersion} is not a layout this server reads ({LatencyHistogram.LayoutVersion}).";
        }

        if (h.Buckets.Count != h.Counts.Count || h.Buckets.Count > LatencyHistogram.BucketCount)
        {
            return $"{at}: {h.Buckets.Count} buckets and {h.Counts.Count} counts; they must be as many, at most {LatencyHistogram.BucketCount}.";
        }

        long total = 0;
        for (var i = 0; i < h.Buckets.Count; i++)
        {
            var bucket = h.Buckets[i];
            if (bucket < 0 || bucket >= LatencyHistogram.BucketCount || (i > 0 && bucket <= h.Buckets[i - 1]))
            {
                return $"{at}.buckets[{i}]: {bucket} is not in 0..{LatencyHistogram.BucketCount - 1} above the bucket before.";
            }

            if (h.Counts[i] < 0 || long.MaxValue - total < h.Counts[i])
            {
                return $"{at}.counts[{i}]: {h.Counts[i]} is negative or makes the total overflow.";
            }

            total += h.Counts[i];
        }

        return null;
    }

    private static LatencyHistogram Histogram(TelemetryHistogram? sparse)
    {
        var histogram = new LatencyHistogram();
        if (sparse is null)
        {
            return histogram;
        }

        for (var i = 0; i < sparse.Buckets.Count; i++)
        {
            histogram.Add(sparse.Buckets[i], sparse.Counts[i]);
        }

        return histogram;
    }
}
