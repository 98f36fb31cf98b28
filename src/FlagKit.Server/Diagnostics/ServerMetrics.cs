using System.Diagnostics;
using System.Diagnostics.Metrics;
using FlagKit.Server.Sync;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Diagnostics;

/// <summary>
/// The server's instruments on the <c>FlagKit.Server</c> <see cref="Meter"/>: connected sync streams, committed writes
/// and their latency (request → durable), fan-out latency (commit → last subscriber written), dropped subscribers,
/// refused writes, webhook deliveries and, once the release runner registers it, releases by state. Read by anything
/// that listens to the meter (the Prometheus endpoint on the HTTP/1.1 port, <c>dotnet-counters</c>, an OpenTelemetry
/// collector, a test's <see cref="MeterListener"/>).
/// </summary>
/// <remarks>
/// <para>Names and tags follow OpenTelemetry's conventions (dotted lower-case names, units in UCUM: <c>s</c>,
/// <c>{write}</c>); docs/server.md lists them. Every tag value comes from a bounded set: environments that exist,
/// RPC names, enum values, configured webhook names; never a value a client chose.</para>
/// <para>One instance per server (the meter comes from the host's <see cref="IMeterFactory"/>, so two servers in one
/// process have two meters). Recording is a few interlocked operations when something listens and nearly nothing when
/// nothing does; nothing here is on the SDK's evaluation path.</para>
/// <para>Thread safety: all members are safe to call concurrently.</para>
/// </remarks>
internal sealed class ServerMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "FlagKit.Server";

    /// <summary>Tag: the environment.</summary>
    public const string EnvironmentTag = "flagkit.environment";

    /// <summary>Tag: the write's RPC name (<c>SetFlagState</c>, <c>PutDocument</c>…).</summary>
    public const string ActionTag = "flagkit.write.action";

    /// <summary>Tag: why a write was refused (<c>invalid</c>, <c>not_found</c>, <c>conflict</c>…).</summary>
    public const string RefusalTag = "flagkit.write.refusal";

    /// <summary>Tag: why a subscriber was dropped (<c>fell_behind</c>, <c>revoked</c>, <c>refused</c>).</summary>
    public const string DropReasonTag = "flagkit.sync.drop_reason";

    /// <summary>Tag: a release's state (<c>running</c>, <c>paused</c>, <c>rolled_back</c>…), given by the release runner.</summary>
    public const string ReleaseStateTag = "flagkit.release.state";

    /// <summary>Tag: a configured webhook's name.</summary>
    public const string WebhookTag = "flagkit.webhook";

    /// <summary>Tag: what became of a webhook event (<c>delivered</c>, <c>failed</c>, <c>dropped</c>).</summary>
    public const string WebhookOutcomeTag = "flagkit.webhook.outcome";

    /// <summary>Environment tag value of a refused write that named an environment that does not exist.</summary>
    public const string UnknownEnvironment = "(unknown)";

    private static readonly double[] WriteBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] FanOutBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly TimeProvider _time;
    private readonly Counter<long> _writes;
    private readonly Histogram<double> _writeDuration;
    private readonly Counter<long> _refusals;
    private readonly Histogram<double> _fanOutDuration;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _webhookEvents;
    private readonly Counter<long> _webhookAttempts;
    private volatile Func<IEnumerable<Measurement<int>>>? _streams;
    private volatile Func<IEnumerable<Measurement<int>>>? _releases;

    /// <summary>Creates the meter and its instruments.</summary>
    /// <param name="meters">The host's meter factory.</param>
    /// <param name="time">The clock latencies are measured with.</param>
    public ServerMetrics(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        Meter = meters.Create(MeterName);
        _writes = Meter.CreateCounter<long>("flagkit.server.writes", "{write}", "Writes committed (durable).");
        _writeDuration = Meter.CreateHistogram("flagkit.server.write.duration", "s",
            "Time from a write's request to its durable commit.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = WriteBuckets });
        _refusals = Meter.CreateCounter<long>("flagkit.server.write.refusals", "{write}", "Writes refused, by reason.");
        _fanOutDuration = Meter.CreateHistogram("flagkit.server.fanout.duration", "s",
            "Time from a commit to the last subscriber's stream having the change written.", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = FanOutBuckets });
        _dropped = Meter.CreateCounter<long>("flagkit.server.sync.dropped", "{stream}", "Sync streams the server ended, by reason.");
        Meter.CreateObservableUpDownCounter("flagkit.server.sync.streams", () => Observe(_streams), "{stream}", "Sync streams connected now.");
        Meter.CreateObservableUpDownCounter("flagkit.server.releases", () => Observe(_releases), "{release}", "Releases by state.");
        _webhookEvents = Meter.CreateCounter<long>("flagkit.server.webhook.events", "{event}", "Webhook events by outcome: delivered, failed (gave up), dropped (queue full).");
        _webhookAttempts = Meter.CreateCounter<long>("flagkit.server.webhook.attempts", "{attempt}", "Webhook HTTP attempts (first tries and retries).");
    }

    /// <summary>The meter (disposed with the host's meter factory).</summary>
    public Meter Meter { get; }

    /// <summary>Registers what the connected-streams gauge reads (the hub registry does, once).</summary>
    /// <param name="streams">Connected streams per environment, each tagged <see cref="EnvironmentTag"/>.</param>
    public void ObserveStreams(Func<IEnumerable<Measurement<int>>> streams) => _streams = streams;

    /// <summary>
    /// Registers what the releases gauge reads: one measurement per state, tagged <see cref="ReleaseStateTag"/>
    /// (and <see cref="EnvironmentTag"/> if wanted). Called by the release runner; a later call replaces the source.
    /// </summary>
    /// <param name="releases">Releases by state, read at each collection (must be quick and must not throw).</param>
    public void ObserveReleases(Func<IEnumerable<Measurement<int>>> releases) => _releases = releases;

    /// <summary>A timestamp to measure a latency from (<see cref="TimeProvider.GetTimestamp"/> of the server's clock).</summary>
    /// <returns>The timestamp.</returns>
    public long Now() => _time.GetTimestamp();

    /// <summary>Records a durable commit.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="action">The RPC name.</param>
    /// <param name="started">When the write's request began (<see cref="Now"/>).</param>
    public void WriteCommitted(string environment, string action, long started)
    {
        var tags = new TagList { { EnvironmentTag, environment }, { ActionTag, action } };
        _writes.Add(1, tags);
        _writeDuration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
    }

    /// <summary>Records a refused write.</summary>
    /// <param name="environment">The environment if it exists, else <see cref="UnknownEnvironment"/>.</param>
    /// <param name="action">The RPC name.</param>
    /// <param name="refusal">Why.</param>
    public void WriteRefused(string environment, string action, WriteRefusal refusal) =>
        _refusals.Add(1, new TagList { { EnvironmentTag, environment }, { ActionTag, action }, { RefusalTag, RefusalName(refusal) } });

    /// <summary>Starts timing a published change's fan-out to <paramref name="environment"/>'s subscribers.</summary>
    /// <param name="environment">The environment.</param>
    /// <returns>The clock the change's batch carries; null when nothing listens to the histogram.</returns>
    public FanOutClock? StartFanOut(string environment) =>
        _fanOutDuration.Enabled ? new FanOutClock(this, environment, _time.GetTimestamp()) : null;

    /// <summary>Records a finished fan-out (called by <see cref="FanOutClock"/>).</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="started">When the change was published.</param>
    /// <param name="lastWritten">When its last subscriber had it written.</param>
    public void FanOutDone(string environment, long started, long lastWritten) =>
        _fanOutDuration.Record(_time.GetElapsedTime(started, lastWritten).TotalSeconds, new KeyValuePair<string, object?>(EnvironmentTag, environment));

    /// <summary>Records a subscriber's end when the server ended it (a client leaving or a shutdown is not counted).</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="reason">Why its stream ended.</param>
    public void StreamEnded(string environment, SubscriberEnd reason)
    {
        var name = reason switch
        {
            SubscriberEnd.Resync => "fell_behind",
            SubscriberEnd.Revoked => "revoked",
            SubscriberEnd.Refused => "refused",
            _ => null,
        };
        if (name is not null)
        {
            _dropped.Add(1, new TagList { { EnvironmentTag, environment }, { DropReasonTag, name } });
        }
    }

    /// <summary>Records what became of a webhook event at one endpoint.</summary>
    /// <param name="webhook">The endpoint's name.</param>
    /// <param name="outcome"><c>delivered</c>, <c>failed</c> or <c>dropped</c>.</param>
    public void WebhookEvent(string webhook, string outcome) =>
        _webhookEvents.Add(1, new TagList { { WebhookTag, webhook }, { WebhookOutcomeTag, outcome } });

    /// <summary>Records one webhook HTTP attempt.</summary>
    /// <param name="webhook">The endpoint's name.</param>
    public void WebhookAttempt(string webhook) => _webhookAttempts.Add(1, new KeyValuePair<string, object?>(WebhookTag, webhook));

    /// <summary>The tag value of a refusal: its name in snake case.</summary>
    /// <param name="refusal">The refusal.</param>
    /// <returns>E.g. <c>limit_exceeded</c>.</returns>
    public static string RefusalName(WriteRefusal refusal) => refusal switch
    {
        WriteRefusal.Invalid => "invalid",
        WriteRefusal.NotFound => "not_found",
        WriteRefusal.AlreadyExists => "already_exists",
        WriteRefusal.Conflict => "conflict",
        WriteRefusal.LimitExceeded => "limit_exceeded",
        WriteRefusal.Unavailable => "unavailable",
        _ => "other",
    };

    private static IEnumerable<Measurement<int>> Observe(Func<IEnumerable<Measurement<int>>>? source) => source is null ? [] : source();
}
