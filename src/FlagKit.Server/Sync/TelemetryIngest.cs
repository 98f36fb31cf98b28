using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Hosting;
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
/// <remarks>
/// <para>Each stream's summaries are held to a rate limit before they are parsed (<see cref="Open"/>,
/// <see cref="TelemetryStreamGate"/>): one interval's summaries (<see cref="SummariesPerInterval"/>) per half the
/// shortest interval an SDK may use (<see cref="MinInterval"/>), with a burst of <see cref="Burst"/>. Excess summaries
/// are dropped unread and counted (<c>flagkit.server.telemetry.dropped</c>, the first one logged per stream); a stream
/// whose drops reach <see cref="EndAfterDropped"/> (one forgiven per second) is ended with INVALID_ARGUMENT naming
/// the limit. An SDK sends one interval per <c>FlagClientOptions.TelemetryInterval</c> (at least <see cref="MinInterval"/>),
/// so it stays at half the limit or less.</para>
/// <para>Thread safe (a singleton shared by every stream).</para>
/// </remarks>
internal sealed class TelemetryIngest
{
    /// <summary>The telemetry format this server takes.</summary>
    public const int Version = 1;

    /// <summary>Most entries in one summary (announced in <c>Welcome.max_telemetry_variants</c>).</summary>
    public const int MaxVariantsPerSummary = 256;

    /// <summary>
    /// Summaries one interval may take: an SDK's default 1 024 tracked variants at <see cref="MaxVariantsPerSummary"/>
    /// each (an interval with more entries is split).
    /// </summary>
    public const int SummariesPerInterval = 4;

    /// <summary>
    /// Summaries a stream may send at once: the SDK's queue of 6 intervals, sent back to back after a slow stretch.
    /// </summary>
    public const int Burst = 6 * SummariesPerInterval;

    /// <summary>Drops not yet forgiven (one per second) at which a stream is ended.</summary>
    public const int EndAfterDropped = Burst;

    /// <summary>Drops forgiven per second of a stream's debt.</summary>
    public const double ForgivenPerSecond = 1;

    /// <summary>The reason tag of <c>flagkit.server.telemetry.dropped</c>.</summary>
    public const string DropReasonTag = "flagkit.telemetry.drop_reason";

    /// <summary>The shortest telemetry interval an SDK may use (the floor of <c>FlagClientOptions.TelemetryInterval</c>).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    private readonly ReleaseReportInbox _inbox;
    private readonly TimeProvider _time;
    private readonly ILogger<TelemetryIngest> _logger;
    private readonly Counter<long> _dropped;
    private long _summaries;
    private long _reports;
    private long _ignored;
    private long _rateLimited;

    /// <summary>Creates the ingest and its counter on the server's meter.</summary>
    /// <param name="inbox">Where reports of watched flags go.</param>
    /// <param name="time">The server's clock (report times, rate limits).</param>
    /// <param name="metrics">The server's meter.</param>
    /// <param name="logger">Logger.</param>
    public TelemetryIngest(ReleaseReportInbox inbox, TimeProvider time, ServerMetrics metrics, ILogger<TelemetryIngest> logger)
    {
        _inbox = inbox;
        _time = time;
        _logger = logger;
        _dropped = metrics.Meter.CreateCounter<long>(
            "flagkit.server.telemetry.dropped", "{summary}",
            "Telemetry summaries dropped unread, by reason: rate_limited (the stream sent faster than its limit), not_negotiated (its Welcome took no telemetry).");
    }

    /// <summary>A stream's steady allowance: <see cref="SummariesPerInterval"/> per half of <see cref="MinInterval"/>.</summary>
    public static double SummariesPerSecond => SummariesPerInterval / (MinInterval.TotalSeconds / 2);

    /// <summary>The limit in words, for the log and the status that ends a stream.</summary>
    public static string LimitText => string.Create(CultureInfo.InvariantCulture,
        $"{SummariesPerInterval} summaries per {MinInterval.TotalMilliseconds / 2:0} ms (one interval's worth per half the shortest interval, {MinInterval.TotalSeconds:0} s), bursts of {Burst}");

    /// <summary>Summaries accepted since start.</summary>
    public long Summaries => Interlocked.Read(ref _summaries);

    /// <summary>Reports posted to the inbox since start.</summary>
    public long Reports => Interlocked.Read(ref _reports);

    /// <summary>Summaries ignored because the stream did not negotiate telemetry.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Summaries dropped unread because their stream was over its rate limit.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>The telemetry version for a stream: <see cref="Version"/> when the Hello offers it, else 0 (none).</summary>
    /// <param name="hello">The SDK's Hello (its version list is bounded by the caller).</param>
    /// <returns>The version to put in Welcome.</returns>
    public static int Negotiate(Hello hello) => hello.TelemetryVersions.Contains(Version) ? Version : 0;

    /// <summary>Opens a stream's gate at its Hello: a full allowance, and whether the stream takes telemetry at all.</summary>
    /// <param name="environment">The stream's environment.</param>
    /// <param name="hello">Its Hello.</param>
    /// <returns>The gate its summaries pass before they are parsed.</returns>
    public TelemetryStreamGate Open(string environment, Hello hello) =>
        new(this, environment, hello.InstanceId, Negotiate(hello) == Version, new TelemetryRateLimit(_time, SummariesPerSecond, Burst, EndAfterDropped, ForgivenPerSecond));

    /// <summary>Counts a summary dropped unread because its stream did not negotiate telemetry.</summary>
    /// <param name="environment">The stream's environment.</param>
    public void CountIgnored(string environment)
    {
        Interlocked.Increment(ref _ignored);
        _dropped.Add(1, new TagList { { ServerMetrics.EnvironmentTag, environment }, { DropReasonTag, "not_negotiated" } });
    }

    /// <summary>Counts a summary dropped unread because its stream was over its rate limit; logs a stream's first.</summary>
    /// <param name="environment">The stream's environment.</param>
    /// <param name="instance">The SDK instance.</param>
    /// <param name="first">Whether it is the stream's first drop.</param>
    public void CountRateLimited(string environment, string instance, bool first)
    {
        Interlocked.Increment(ref _rateLimited);
        _dropped.Add(1, new TagList { { ServerMetrics.EnvironmentTag, environment }, { DropReasonTag, "rate_limited" } });
        if (first)
        {
            TelemetryIngestLog.RateLimited(_logger, UntrustedText.ForLog(instance), environment, LimitText);
        }
    }

    /// <summary>The error that ends a stream that kept sending over its limit.</summary>
    /// <param name="environment">The stream's environment.</param>
    /// <param name="instance">The SDK instance.</param>
    /// <param name="dropped">Summaries it had dropped.</param>
    /// <returns>INVALID_ARGUMENT naming the limit.</returns>
    public static RpcException LimitExceeded(string environment, string instance, long dropped) =>
        new(new Status(StatusCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
            $"TelemetrySummary rate limit: instance '{UntrustedText.ForLog(instance)}' on '{environment}' kept sending summaries faster than {LimitText}; {dropped} were dropped unread and the stream is ended.")));

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
        var measuredFrom = _time.GetUtcNow() - TimeSpan.FromMilliseconds(summary.IntervalMs);
        foreach (var variant in summary.Variants)
        {
            if (!_inbox.IsWatched(environment, variant.Flag))
            {
                continue;
            }

            var report = new ReleaseReport(instance, variant.Flag, variant.Variant, variant.Exposures, variant.Requests, variant.Failures, Histogram(variant.Latency), measuredFrom);
            if (_inbox.Post(environment, report))
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
