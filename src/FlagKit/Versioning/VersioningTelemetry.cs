using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FlagKit.Versioning;

/// <summary>
/// The versioning meter and activity source (both named <c>FlagKit.Versioning</c>), shared by contracts, version
/// resolution and migrations. Every measurement and activity carries <see cref="VersionTags.Current"/>.
/// </summary>
/// <remarks>Thread-safe. Instruments check <c>Enabled</c> first, so an unobserved instrument costs a branch.</remarks>
internal static class VersioningTelemetry
{
    public const string Name = "FlagKit.Versioning";

    public static readonly ActivitySource ActivitySource = new(Name, typeof(VersioningTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(Name, typeof(VersioningTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> VersionResolutions = Meter.CreateCounter<long>(
        "flagkit.version.resolutions", "{resolution}", "Version flag resolutions by flag, version and how it was resolved (evaluated, pinned, killed, replay, default).");

    public static readonly Histogram<double> MigrationDuration = Meter.CreateHistogram<double>(
        "flagkit.migration.duration", "ms", "Duration of each side of a migration read or write, by migration, operation, side and stage.");

    public static readonly Counter<long> MigrationErrors = Meter.CreateCounter<long>(
        "flagkit.migration.errors", "{error}", "Failed reads and writes per migration side.");

    public static readonly Counter<long> MigrationComparisons = Meter.CreateCounter<long>(
        "flagkit.migration.comparisons", "{comparison}", "Sampled comparisons of the old and new read, with their outcome (match/mismatch).");

    /// <summary>A tag list with the given tags followed by <see cref="VersionTags.Current"/>.</summary>
    public static TagList Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var list = new TagList(tags);
        foreach (var tag in VersionTags.Current.Tags)
        {
            list.Add(tag);
        }

        return list;
    }

    /// <summary>Starts an activity carrying <see cref="VersionTags.Current"/>, or returns null when nobody listens.</summary>
    public static Activity? StartActivity(string name, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = ActivitySource.StartActivity(name, kind);
        return VersionTags.Current.Enrich(activity);
    }
}
