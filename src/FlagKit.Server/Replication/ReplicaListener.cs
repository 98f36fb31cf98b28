using System.Collections.Concurrent;
using System.Globalization;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using FlagKit.Server.Modes;
using FlagKit.Server.Store.Postgres;
using FlagKit.Server.Sync;
using FlagKit.Server.Writes;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlagKit.Server.Replication;

/// <summary>
/// How a replica on PostgreSQL learns what the other replicas commit: one LISTEN connection of its own (outside the
/// pool) for hints, and a worker that reads the changes themselves from the tables and publishes them to this
/// replica's hubs. Registered only for the postgres store.
/// </summary>
/// <remarks>
/// <para>Notifications are hints, never data, and are not durable: a replica that was not listening at that moment
/// never gets them. So the worker catches every environment up by revision after each (re)connect of the listener —
/// LISTEN first, then read, so that nothing committed in between is missed — and every
/// <see cref="FlagServerOptions.ReplicaPollInterval"/>, whatever the listener says (a LISTEN connection can go quiet
/// without an error). A hint names an environment and a revision; the worker reads everything the environment
/// committed after the revision this replica holds, so duplicate, late, reordered or lost hints are all harmless.</para>
/// <para>The listener never opens a transaction (a listening session inside a long transaction keeps PostgreSQL's
/// notification queue from being cleaned up, and a full queue fails every NOTIFY).</para>
/// <para>Thread safety: runs as one hosted service; the notification handler only records what to read.</para>
/// </remarks>
internal sealed class ReplicaListener : BackgroundService
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(5);

    private readonly PostgresFlagStore _store;
    private readonly EnvironmentCatalog _catalog;
    private readonly ApiKeyRegistry _keys;
    private readonly HubRegistry _hubs;
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ReplicaListener> _logger;
    private readonly ConcurrentDictionary<long, long> _dirty = new();
    private readonly ConcurrentDictionary<long, long> _modesDirty = new();
    private readonly ModeCatalog _modes;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private volatile bool _fullPending = true;
    private volatile bool _keysPending;
    private long _hints;
    private long _catchUps;
    private long _connects;

    /// <summary>Creates the listener.</summary>
    /// <param name="store">The PostgreSQL store (its listener connection, its change feed).</param>
    /// <param name="catalog">The environments to keep up to date.</param>
    /// <param name="keys">The API keys to keep up to date.</param>
    /// <param name="hubs">Where streams of revoked keys are ended.</param>
    /// <param name="modes">The operating modes to keep up to date.</param>
    /// <param name="options">Poll interval.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    public ReplicaListener(
        PostgresFlagStore store, EnvironmentCatalog catalog, ApiKeyRegistry keys, HubRegistry hubs, ModeCatalog modes, IOptions<FlagServerOptions> options, TimeProvider time,
        ILogger<ReplicaListener> logger)
    {
        _store = store;
        _catalog = catalog;
        _keys = keys;
        _hubs = hubs;
        _modes = modes;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether the LISTEN connection is up now.</summary>
    public bool IsListening { get; private set; }

    /// <summary>Hints received since start.</summary>
    public long Hints => Interlocked.Read(ref _hints);

    /// <summary>Catch-up passes run since start (hinted or polled).</summary>
    public long CatchUps => Interlocked.Read(ref _catchUps);

    /// <summary>Times the listener connected (1 + reconnects).</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>When the last full catch-up (every environment and the keys) succeeded.</summary>
    public DateTimeOffset? LastFullCatchUp { get; private set; }

    /// <summary>
    /// An SDK resuming here holds a revision this replica has not learnt yet (it moved from a replica that was ahead):
    /// catch the environment up first, so that it gets a delta from its revision rather than a snapshot of an older one.
    /// Best effort, bounded: on a store error or after a second the stream is served from what this replica holds.
    /// </summary>
    /// <param name="environment">The environment.</param>
    /// <param name="sdkRevision">The revision the SDK holds.</param>
    /// <param name="hubRevision">The revision this replica's hub serves.</param>
    /// <param name="cancellationToken">The call's cancellation.</param>
    /// <returns>Completes when caught up or given up.</returns>
    public async Task CatchUpForResumeAsync(string environment, long sdkRevision, long hubRevision, CancellationToken cancellationToken)
    {
        if (sdkRevision <= hubRevision)
        {
            return;
        }

        try
        {
            await _catalog.CatchUpAsync(environment, cancellationToken).WaitAsync(TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
        {
            ReplicationLog.CatchUpFailed(_logger, e.Message);
        }
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            Task.Factory.StartNew(() => ListenAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap(),
            Task.Run(() => WorkAsync(stoppingToken), stoppingToken),
            Task.Run(() => PollAsync(stoppingToken), stoppingToken));

    /// <summary>Keeps one LISTEN connection open, reconnecting with jittered backoff; each connect asks for a full catch-up.</summary>
    private async Task ListenAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = _store.CreateListenerConnection();
                connection.Notification += OnNotification;
                await connection.OpenAsync(ct).ConfigureAwait(false);
                await using (var listen = new NpgsqlCommand($"LISTEN {ReplicationChannel.Name}", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                // Listening now: whatever commits from here on is hinted, and the catch-up reads what came before.
                IsListening = true;
                failures = 0;
                Interlocked.Increment(ref _connects);
                RequestFull();
                ReplicationLog.ListenerConnected(_logger, _store.Location);
                while (!ct.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(_options.ReplicaPollInterval, ct).ConfigureAwait(false))
                    {
                        // Quiet for a whole interval: make sure the connection still answers (a dead one throws).
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(ct).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Whatever broke the connection (the database restarted, the backend was terminated, a network error):
                // reconnect; the poll keeps this replica up to date meanwhile.
                IsListening = false;
                var delay = ReconnectDelay(++failures);
                ReplicationLog.ListenerLost(_logger, e.Message, delay);
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
        }

        IsListening = false;
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        // On the listener's read path: record what to read, never any SQL here.
        Interlocked.Increment(ref _hints);
        var payload = e.Payload;
        if (payload == ReplicationChannel.Keys)
        {
            _keysPending = true;
        }
        else if (payload.StartsWith(ReplicationChannel.ModesPrefix, StringComparison.Ordinal) && payload.Split(':') is [_, var modeEnv, var modeVersion]
            && long.TryParse(modeEnv, NumberStyles.None, CultureInfo.InvariantCulture, out var modeEnvironmentId)
            && long.TryParse(modeVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            _modesDirty.AddOrUpdate(modeEnvironmentId, version, (_, seen) => Math.Max(seen, version));
        }
        else if (payload.Split(':') is [_, var id, .. var rest] && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var environmentId))
        {
            // The highest revision hinted per environment (0 for a new environment: always read).
            var revision = rest is [var r] && long.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
            _dirty.AddOrUpdate(environmentId, revision, (_, seen) => Math.Max(seen, revision));
        }
        else
        {
            _fullPending = true;
        }

        _wake.Release();
    }

    private void RequestFull()
    {
        _fullPending = true;
        _wake.Release();
    }

    /// <summary>Asks for a full catch-up every poll interval, whatever the listener says.</summary>
    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.ReplicaPollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                RequestFull();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Reads and publishes what the hints name, and everything when a full catch-up is asked for.</summary>
    private async Task WorkAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await CatchUpAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The database is away: streams keep serving what they have; the next poll tries again.
                _fullPending = true;
                ReplicationLog.CatchUpFailed(_logger, e.Message);
            }
        }
    }

    private async Task CatchUpAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _catchUps);
        if (_fullPending)
        {
            _fullPending = false;
            _dirty.Clear();
            _modesDirty.Clear();
            _keysPending = false;
            await FullCatchUpAsync(ct).ConfigureAwait(false);
            return;
        }

        if (_keysPending)
        {
            _keysPending = false;
            RefreshKeys();
        }

        foreach (var environmentId in _dirty.Keys)
        {
            _dirty.TryRemove(environmentId, out var hinted);
            if (_catalog.NameOf(environmentId) is not { } name)
            {
                LearnEnvironments();
                name = _catalog.NameOf(environmentId);
            }

            // This replica's own commits (and hints it already caught up past) need no read.
            if (name is not null && (hinted == 0 || _catalog.Get(name).Revision < hinted))
            {
                await _catalog.CatchUpAsync(name, ct).ConfigureAwait(false);
            }
        }

        foreach (var environmentId in _modesDirty.Keys)
        {
            _modesDirty.TryRemove(environmentId, out _);
            if (_catalog.NameOf(environmentId) is not { } name)
            {
                LearnEnvironments();
                name = _catalog.NameOf(environmentId);
            }

            if (name is not null)
            {
                await CatchUpModesAsync(_catalog.Get(name).Record, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Loads an environment's modes when another replica changed them (a hint at or below the version held is a no-op read).</summary>
    private async Task CatchUpModesAsync(FlagKit.Server.Store.EnvironmentRecord environment, CancellationToken ct)
    {
        if (await _modes.CatchUpAsync(environment, ct).ConfigureAwait(false) is { } version)
        {
            ReplicationLog.ModesLearnt(_logger, environment.Name, version);
        }
    }

    /// <summary>Every environment (its documents and modes) and the keys: after a (re)connect, when a hint was not understood, and every poll.</summary>
    private async Task FullCatchUpAsync(CancellationToken ct)
    {
        LearnEnvironments();
        foreach (var env in _store.LoadEnvironments())
        {
            if (_catalog.Exists(env.Name) && _catalog.Get(env.Name).Revision < env.Revision)
            {
                await _catalog.CatchUpAsync(env.Name, ct).ConfigureAwait(false);
            }

            if (_catalog.Exists(env.Name))
            {
                await CatchUpModesAsync(env, ct).ConfigureAwait(false);
            }
        }

        RefreshKeys();
        var usage = _store.NotificationQueueUsage();
        if (usage >= 0.5)
        {
            ReplicationLog.NotificationQueueFilling(_logger, usage * 100);
        }

        LastFullCatchUp = _time.GetUtcNow();
    }

    private void LearnEnvironments()
    {
        if (_catalog.LearnEnvironments() is var learnt and > 0)
        {
            ReplicationLog.EnvironmentsLearnt(_logger, learnt);
        }
    }

    private void RefreshKeys()
    {
        var revoked = _keys.Refresh();
        if (revoked.Count > 0)
        {
            ReplicationLog.KeysLearnt(_logger, revoked.Count, revoked.Sum(_hubs.EndKey));
        }
    }

    private static TimeSpan ReconnectDelay(int failures)
    {
        // Full jitter over an exponential ceiling (100 ms, 200 ms, … up to 5 s), so replicas do not reconnect in step.
        var ceiling = Math.Min(MaxReconnectDelay.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures - 1, 10)));
        return TimeSpan.FromMilliseconds(50 + (Random.Shared.NextDouble() * ceiling));
    }
}
