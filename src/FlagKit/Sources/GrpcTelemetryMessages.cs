using FlagKit.Protocol.V1;
using FlagKit.Telemetry;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Sources;

/// <summary>Turns a closed <see cref="TelemetryInterval"/> into the <c>TelemetrySummary</c> messages of the sync protocol.</summary>
internal static class GrpcTelemetryMessages
{
    /// <summary>The telemetry format this SDK sends (<c>Hello.telemetry_versions</c>).</summary>
    public const int Version = 1;

    /// <summary>Entries per summary when the server names no limit.</summary>
    public const int DefaultMaxVariants = 256;

    /// <summary>The interval as one or more summaries of at most <paramref name="maxVariants"/> entries each.</summary>
    /// <param name="interval">The interval.</param>
    /// <param name="maxVariants">The server's limit per summary (<c>Welcome.max_telemetry_variants</c>; 0: the default).</param>
    /// <param name="droppedSummaries">Summaries dropped since the last one sent; carried by the first.</param>
    /// <returns>The summaries, in order; at least one.</returns>
    public static List<TelemetrySummary> ToSummaries(TelemetryInterval interval, int maxVariants, long droppedSummaries)
    {
        var perSummary = maxVariants > 0 ? Math.Min(maxVariants, DefaultMaxVariants) : DefaultMaxVariants;
        var summaries = new List<TelemetrySummary>();
        var start = Timestamp.FromDateTimeOffset(interval.Start);
        var i = 0;
        do
        {
            var summary = new TelemetrySummary
            {
                IntervalStart = start,
                IntervalMs = (int)Math.Clamp(interval.Duration.TotalMilliseconds, 0, int.MaxValue),
                DroppedSummaries = summaries.Count == 0 ? droppedSummaries : 0,
                UntrackedEvents = summaries.Count == 0 ? interval.UntrackedEvents : 0,
            };
            for (var end = Math.Min(interval.Variants.Count, i + perSummary); i < end; i++)
            {
                summary.Variants.Add(ToVariant(interval.Variants[i]));
            }

            summaries.Add(summary);
        }
        while (i < interval.Variants.Count);
        return summaries;
    }

    private static TelemetryVariant ToVariant(TelemetryFigures figures)
    {
        var variant = new TelemetryVariant
        {
            Flag = figures.Flag,
            Variant = figures.Variant,
            Exposures = figures.Exposures,
            Requests = figures.Requests,
            Failures = figures.Failures,
            Latency = new TelemetryHistogram { LayoutVersion = LatencyHistogram.LayoutVersion },
        };
        for (var b = 0; b < LatencyHistogram.BucketCount; b++)
        {
            if (figures.Latency[b] is var count and > 0)
            {
                variant.Latency.Buckets.Add(b);
                variant.Latency.Counts.Add(count);
            }
        }

        return variant;
    }
}
