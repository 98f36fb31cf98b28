using System.Collections.Concurrent;
using FlagKit.Server.Configuration;
using FlagKit.Server.Diagnostics;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Sync;

/// <summary>
/// The hubs of all environments, the heartbeat loop that ticks them, and the shutdown notice: when the host stops,
/// every subscriber is told the server is going away before Kestrel waits for the streams to end.
/// </summary>
/// <remarks>Thread safety: all members are safe to call concurrently.</remarks>
internal sealed class HubRegistry : BackgroundService
{
    private readonly ConcurrentDictionary<string, EnvironmentHub> _hubs = new(StringComparer.Ordinal);
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<HubRegistry> _logger;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _fanoutLog;
    private long _nextStreamId;
    private volatile bool _stopping;

    /// <summary>Creates the registry.</summary>
    /// <param name="options">Server options (heartbeat interval, change log size, chunk size).</param>
    /// <param name="time">The clock.</param>
    /// <param name="lifetime">The host lifetime (shutdown notice).</param>
    /// <param name="logger">Logger.</param>
    /// <param name="metrics">The server's instruments (connected streams are read from the hubs).</param>
    /// <param name="loggers">Creates the fan-out log (<see cref="FanoutLog.Category"/>).</param>
    public HubRegistry(IOptions<FlagServerOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<HubRegistry> logger, ServerMetrics metrics, ILoggerFactory loggers)
    {
        _fanoutLog = loggers.CreateLogger(FanoutLog.Category);
        _metrics = metrics;
        metrics.ObserveStreams(() => _hubs.Values.Select(h => new System.Diagnostics.Metrics.Measurement<int>(h.SubscriberCount, new KeyValuePair<string, object?>(ServerMetrics.EnvironmentTag, h.Environment))));
        _options = options.Value;
        ServerId = string.IsNullOrEmpty(_options.ServerId) ? Guid.NewGuid().ToString("N")[..12] : _options.ServerId;
        _time = time;
        _logger = logger;
        lifetime.ApplicationStopping.Register(() => GoAway("the server is shutting down"));
    }

    /// <summary>The workers that write every stream's queued frames.</summary>
    public SyncPump Pump { get; } = new(Math.Max(1, System.Environment.ProcessorCount / 2));

    /// <summary>This server's id, sent in Welcome.</summary>
    public string ServerId { get; }

    /// <summary>Whether the server is shutting down (new streams are refused).</summary>
    public bool IsStopping => _stopping;

    /// <summary>A new stream id, unique in this process.</summary>
    /// <returns>The id.</returns>
    public long NextStreamId() => Interlocked.Increment(ref _nextStreamId);

    /// <summary>The hub of an environment, created empty when missing.</summary>
    /// <param name="environment">The environment name.</param>
    /// <returns>The hub.</returns>
    public EnvironmentHub GetOrAdd(string environment) =>
        _hubs.GetOrAdd(environment, static (name, r) => new EnvironmentHub(name, r._options.ChangeLogCapacity, r._options.BatchChunkBytes, r._metrics, r._fanoutLog, r._time), this);

    /// <summary>The hub of an environment, if it exists.</summary>
    /// <param name="environment">The environment name.</param>
    /// <param name="hub">The hub.</param>
    /// <returns>True when found.</returns>
    public bool TryGet(string environment, out EnvironmentHub hub) => _hubs.TryGetValue(environment, out hub!);

    /// <summary>Every hub.</summary>
    public IEnumerable<EnvironmentHub> Hubs => _hubs.Values;

    /// <summary>Ends every stream opened with an API key (it was revoked).</summary>
    /// <param name="keyId">The key id.</param>
    /// <returns>How many streams were ended.</returns>
    public int EndKey(string keyId) => _hubs.Values.Sum(h => h.EndKey(keyId));

    /// <summary>Tells every subscriber the server is going away and refuses new streams.</summary>
    /// <param name="reason">What they are told.</param>
    public void GoAway(string reason)
    {
        _stopping = true;
        foreach (var hub in _hubs.Values)
        {
            hub.EndAll(SubscriberEnd.GoingAway, reason);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = _time.GetUtcNow();
                foreach (var hub in _hubs.Values)
                {
                    hub.Heartbeat(now);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            ServerLog.HeartbeatStopped(_logger);
        }
    }
}
