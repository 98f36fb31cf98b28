using System.Diagnostics;
using System.Diagnostics.Metrics;
using FlagKit.Evaluation;

namespace FlagKit.Telemetry;

/// <summary>
/// The <c>System.Diagnostics.Metrics</c> meter of one <see cref="FlagClient"/>, named <see cref="Name"/>: exposures and
/// outcomes per flag and variant with OpenTelemetry's feature-flag attribute names (<c>feature_flag.key</c>,
/// <c>feature_flag.result.variant</c>, <c>feature_flag.provider.name</c>), and the SDK's own health (status, applied
/// revision, revision lag, reconnects, rejected documents, dropped telemetry). Disposed with the client.
/// </summary>
internal sealed class FlagKitMeter : IDisposable
{
    /// <summary>The meter's name, for <c>AddMeter("FlagKit")</c>.</summary>
    public const string Name = "FlagKit";

    /// <summary>The <c>feature_flag.provider.name</c> every measurement carries.</summary>
    public const string Provider = "FlagKit";

    private readonly Meter _meter;
    private readonly FlagClient _client;
    private readonly ISourceHealth? _health;
    private readonly Counter<long> _exposures;
    private readonly Counter<long> _outcomes;
    private readonly Histogram<double> _duration;
    private long _untracked;

    /// <summary>Creates the meter of a client and subscribes it to the client's intervals.</summary>
    /// <param name="client">The client (status, revision).</param>
    /// <param name="telemetry">Its collector (exposure and outcome intervals).</param>
    /// <param name="health">Its source's connection figures, when the source has any.</param>
    public FlagKitMeter(FlagClient client, FlagTelemetry telemetry, ISourceHealth? health)
    {
        _client = client;
        _health = health;
        _meter = new Meter(Name, Sources.GrpcHello.SdkVersion);
        _exposures = _meter.CreateCounter<long>("feature_flag.exposures", "{exposure}", "Times a flag served a variant (counted per interval).");
        _outcomes = _meter.CreateCounter<long>("feature_flag.outcomes", "{outcome}", "Outcomes recorded against the variant a flag served; flagkit.outcome is success or failure (counted per interval).");
        _duration = _meter.CreateHistogram<double>("feature_flag.outcome.duration", "s", "Duration of the outcomes recorded against the variant a flag served.");
        _meter.CreateObservableGauge("flagkit.sdk.status", ObserveStatus, "{status}", "The client's status: 0 starting, 1 ready, 2 stale, 3 failed (also as flagkit.status).");
        _meter.CreateObservableGauge("flagkit.sdk.revision", () => _client.Snapshot.Revision, "{revision}", "The revision the client serves.");
        _meter.CreateObservableGauge("flagkit.sdk.revision_lag", ObserveLag, "{revision}", "Revisions the server announced that the client does not serve yet.");
        _meter.CreateObservableCounter("flagkit.sdk.reconnects", () => _health?.Reconnects ?? 0, "{reconnect}", "Streams opened after the first.");
        _meter.CreateObservableCounter("flagkit.sdk.rejected_documents", () => _health?.RejectedDocuments ?? 0, "{document}", "Documents the SDK could not apply (they keep their last good version).");
        _meter.CreateObservableCounter("flagkit.sdk.telemetry.dropped", () => _health?.TelemetryDropped ?? 0, "{interval}", "Telemetry intervals dropped because the server was away or the queue was full.");
        _meter.CreateObservableCounter("flagkit.sdk.telemetry.untracked", () => Interlocked.Read(ref _untracked), "{event}", "Exposures and outcomes beyond the tracked flag/variant cap.");
        telemetry.IntervalClosed += Publish;
    }

    /// <summary>The meter (tests match their listener to it).</summary>
    public Meter Meter => _meter;

    /// <summary>Records one outcome's duration, if anyone listens (no allocation: the tags stay on the stack).</summary>
    /// <param name="flag">The flag.</param>
    /// <param name="variant">The variant index.</param>
    /// <param name="success">Whether it succeeded.</param>
    /// <param name="milliseconds">Its duration.</param>
    public void RecordDuration(CompiledFlag flag, int variant, bool success, double milliseconds)
    {
        if (_duration.Enabled)
        {
            var tags = Tags(flag.Key, flag.Variants[variant].Name);
            tags.Add("flagkit.outcome", success ? "success" : "failure");
            _duration.Record(milliseconds / 1000, tags);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();

    private static TagList Tags(string flag, string variant) => new()
    {
        { "feature_flag.key", flag },
        { "feature_flag.result.variant", variant },
        { "feature_flag.provider.name", Provider },
    };

    private void Publish(TelemetryInterval interval)
    {
        Interlocked.Add(ref _untracked, interval.UntrackedEvents);
        foreach (var figures in interval.Variants)
        {
            if (figures.Exposures > 0)
            {
                _exposures.Add(figures.Exposures, Tags(figures.Flag, figures.Variant));
            }

            if (figures.Requests > figures.Failures)
            {
                var tags = Tags(figures.Flag, figures.Variant);
                tags.Add("flagkit.outcome", "success");
                _outcomes.Add(figures.Requests - figures.Failures, tags);
            }

            if (figures.Failures > 0)
            {
                var tags = Tags(figures.Flag, figures.Variant);
                tags.Add("flagkit.outcome", "failure");
                _outcomes.Add(figures.Failures, tags);
            }
        }
    }

    private Measurement<int> ObserveStatus()
    {
        var status = _client.Status;
        return new Measurement<int>((int)status, new KeyValuePair<string, object?>("flagkit.status", status.ToString().ToLowerInvariant()));
    }

    private long ObserveLag() =>
        _health is { ServerRevision: > 0 } health ? Math.Max(0, health.ServerRevision - _client.Snapshot.Revision) : 0;
}
