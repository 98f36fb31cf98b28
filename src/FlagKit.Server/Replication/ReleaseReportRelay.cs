using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Data.Common;
using FlagKit.Server.Configuration;
using FlagKit.Server.Releases;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Replication;

/// <summary>
/// Relays SDK release reports between replicas through the store (<see cref="IReportRelayStore"/>): every replica
/// queues the reports of flags a running release watches and appends them in batches; the replica that judges the
/// releases (the <c>release-runner</c> lease holder) takes them at each evaluation, so it judges every SDK of the
/// fleet, not only its own. Registered only for the postgres store; one SQLite server judges its reports in memory.
/// </summary>
/// <remarks>
/// <para>Bounded everywhere: at most <see cref="QueueCapacity"/> reports wait on a replica (queued or being appended),
/// at most the inbox's per-flag capacity wait in the table per flag (checked by the insert), batches are pruned
/// <see cref="KeptFor"/> after they were posted. Past a bound, reports are dropped and counted, never blocking a stream.</para>
/// <para>Counted once: a batch keeps its id across retried appends (a retry after a lost acknowledgement stores nothing
/// new), and a take marks the batches it returns in the same statement (two replicas that both believe they hold the
/// lease never get the same batch). A holder that dies after a take loses that interval's reports, as it loses what it
/// held in memory; none is ever counted twice.</para>
/// <para>Thread safety: all members are safe to call concurrently.</para>
/// </remarks>
internal sealed class ReleaseReportRelay : BackgroundService, IReleaseReportRelay
{
    /// <summary>Reports that may wait on one replica before new ones are dropped.</summary>
    public const int QueueCapacity = 100_000;

    /// <summary>Most reports in one stored batch.</summary>
    public const int MaxBatchReports = 2_000;

    /// <summary>Most batches one take returns.</summary>
    public const int TakeLimit = 500;

    /// <summary>How long a batch is kept after it was posted (taken or not): a retried append within it is recognised.</summary>
    public static readonly TimeSpan KeptFor = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly string Running = ReleaseStateJson.Status(ReleaseStatus.Running);

    private readonly IFlagStore _store;
    private readonly EnvironmentCatalog _catalog;
    private readonly ReleaseReportInbox _inbox;
    private readonly Func<bool> _leading;
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ReleaseReportRelay> _logger;
    private readonly ConcurrentQueue<(string Environment, ReleaseReport Report)> _queue = new();
    private readonly Lock _flushLock = new();
    private readonly List<ReportBatchRecord> _unsent = [];
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private volatile FrozenSet<(string Environment, string Flag)> _watched = FrozenSet<(string, string)>.Empty;
    private int _waiting;
    private int _woken;
    private long _relayed;
    private long _taken;
    private long _dropped;

    /// <summary>Creates the relay (it relays once started).</summary>
    /// <param name="store">The shared store.</param>
    /// <param name="catalog">Environment names to row ids.</param>
    /// <param name="inbox">The inbox whose reports it relays.</param>
    /// <param name="leading">Whether this replica judges the releases now (<see cref="ReleaseRunner.IsDriving"/>).</param>
    /// <param name="options">The poll interval (how often the running releases are re-read).</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    public ReleaseReportRelay(
        IFlagStore store, EnvironmentCatalog catalog, ReleaseReportInbox inbox, Func<bool> leading, IOptions<FlagServerOptions> options, TimeProvider time,
        ILogger<ReleaseReportRelay> logger)
    {
        _store = store;
        _catalog = catalog;
        _inbox = inbox;
        _leading = leading;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Reports appended to the store by this replica since start.</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    /// <summary>Reports taken from the store by this replica (while it judged the releases) since start.</summary>
    public long Taken => Interlocked.Read(ref _taken);

    /// <summary>Reports dropped since start (this replica's queue full, the flag's table share full, or an unknown environment).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Reports waiting on this replica now (queued or being appended).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <inheritdoc />
    public bool Watches(string environment, string flag) => _watched.Contains((environment, flag));

    /// <inheritdoc />
    public bool Post(string environment, ReleaseReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (Interlocked.Increment(ref _waiting) > QueueCapacity)
        {
            Interlocked.Decrement(ref _waiting);
            Interlocked.Increment(ref _dropped);
            return false;
        }

        _queue.Enqueue((environment, report));
        Wake();
        return true;
    }

    /// <inheritdoc />
    public IReadOnlyList<ReleaseReport> Take(string environment, string flag)
    {
        if (!_leading() || !_catalog.Exists(environment))
        {
            return [];
        }

        var environmentId = _catalog.Get(environment).Record.Id;
        lock (_flushLock)
        {
            // This replica's own reports are judged in the same interval as they would be without replicas.
            FlushLocked();
        }

        IReadOnlyList<ReportBatchRecord> batches;
        try
        {
            batches = _store.TakeReportBatches(environmentId, flag, TakeLimit, _time.GetUtcNow());
        }
        catch (DbException e)
        {
            // Nothing was taken: the batches wait for the next evaluation.
            ReplicationLog.ReportRelayFailed(_logger, "take", e.Message);
            return [];
        }

        var reports = new List<ReleaseReport>();
        foreach (var batch in batches)
        {
            try
            {
                reports.AddRange(ReportBatchCodec.Decode(batch.Payload));
            }
            catch (FormatException e)
            {
                Interlocked.Add(ref _dropped, batch.Reports);
                ReplicationLog.ReportBatchUnreadable(_logger, batch.Id, e.Message);
            }
        }

        Interlocked.Add(ref _taken, reports.Count);
        return reports;
    }

    /// <summary>Appends every waiting report now (tests; the relay does it by itself as reports arrive).</summary>
    /// <returns>True when nothing is left waiting.</returns>
    public bool Flush()
    {
        lock (_flushLock)
        {
            return FlushLocked();
        }
    }

    /// <summary>Starts relaying the inbox's reports and reads which flags running releases watch.</summary>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>Completes when started.</returns>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        RefreshWatched();
        _inbox.RelayThrough(this);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Stops, appending what waits (best effort).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>Completes when stopped.</returns>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Flush();
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Task.Run(() => SendAsync(stoppingToken), stoppingToken), Task.Run(() => RefreshAsync(stoppingToken), stoppingToken));

    private void Wake()
    {
        if (Interlocked.Exchange(ref _woken, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Appends queued reports as they arrive (what queues during one append goes in the next); retries after a store error.</summary>
    private async Task SendAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await _wake.WaitAsync(ct).ConfigureAwait(false);
                Volatile.Write(ref _woken, 0);
                if (!Flush())
                {
                    await Task.Delay(RetryDelay, _time, ct).ConfigureAwait(false);
                    Wake();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: StopAsync appends what is left.
        }
    }

    /// <summary>Every poll interval: which flags running releases watch; the judging replica also prunes old batches.</summary>
    private async Task RefreshAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.ReplicaPollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                RefreshWatched();
                if (_leading())
                {
                    Prune();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void RefreshWatched()
    {
        try
        {
            var names = _catalog.All.ToDictionary(e => e.Record.Id, e => e.Name);
            _watched = _store.LoadActiveReleases()
                .Where(r => r.Status == Running && names.ContainsKey(r.EnvironmentId))
                .Select(r => (names[r.EnvironmentId], r.Flag))
                .ToFrozenSet();
        }
        catch (DbException e)
        {
            // The last known set stays; the next poll reads it again.
            ReplicationLog.ReportRelayFailed(_logger, "reading the running releases", e.Message);
        }
    }

    private void Prune()
    {
        try
        {
            _store.PruneReportBatches(_time.GetUtcNow() - KeptFor);
        }
        catch (DbException e)
        {
            ReplicationLog.ReportRelayFailed(_logger, "pruning", e.Message);
        }
    }

    /// <summary>Seals the queue into batches (one flag each) and appends them in order; a failed append stays for the next try, with its id.</summary>
    /// <returns>True when nothing is left waiting.</returns>
    private bool FlushLocked()
    {
        SealLocked();
        while (_unsent.Count > 0)
        {
            var batch = _unsent[0];
            try
            {
                if (_store.AppendReportBatch(batch, _inbox.CapacityPerFlag))
                {
                    Interlocked.Add(ref _relayed, batch.Reports);
                }
                else
                {
                    Interlocked.Add(ref _dropped, batch.Reports);
                    ReplicationLog.ReportsDropped(_logger, batch.Reports, batch.Flag, "the flag's reports waiting in the store are at capacity");
                }
            }
            catch (DbException e)
            {
                ReplicationLog.ReportRelayFailed(_logger, "append", e.Message);
                return false;
            }

            _unsent.RemoveAt(0);
            Interlocked.Add(ref _waiting, -batch.Reports);
        }

        return true;
    }

    private void SealLocked()
    {
        var byFlag = new Dictionary<(string Environment, string Flag), List<ReleaseReport>>();
        while (_queue.TryDequeue(out var item))
        {
            var key = (item.Environment, item.Report.Flag);
            if (!byFlag.TryGetValue(key, out var list))
            {
                byFlag[key] = list = [];
            }

            list.Add(item.Report);
        }

        var now = _time.GetUtcNow();
        foreach (var ((environment, flag), reports) in byFlag)
        {
            if (!_catalog.Exists(environment))
            {
                Interlocked.Add(ref _waiting, -reports.Count);
                Interlocked.Add(ref _dropped, reports.Count);
                continue;
            }

            var environmentId = _catalog.Get(environment).Record.Id;
            foreach (var chunk in reports.Chunk(MaxBatchReports))
            {
                _unsent.Add(new ReportBatchRecord(Guid.NewGuid(), environmentId, flag, chunk.Length, ReportBatchCodec.Encode(chunk), now));
            }
        }
    }
}
