using System.Data.Common;
using FlagKit.Protocol.V1;
using FlagKit.Server.Configuration;
using FlagKit.Server.Store;
using FlagKit.Server.Sync;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Replication;

/// <summary>
/// The SDK instances of the whole fleet, for <c>ListInstances</c> (and so <c>flagkit status</c> and <c>--wait</c>) on
/// any replica: each replica publishes its own connected instances to the store (<see cref="IInstanceSummaryStore"/>)
/// at most every <see cref="PublishInterval"/> when they changed, and every poll interval regardless (a heartbeat);
/// any replica answers with its own instances, live, plus the other replicas' rows written within
/// <see cref="ExpireAfter"/>. A replica that stops deletes its row; the row of one that died expires.
/// Registered only for the postgres store.
/// </summary>
/// <remarks>
/// <para>Another replica's instances are as fresh as its last publish (about a second behind while acks come in), so
/// <c>--wait</c> sees an instance on another replica apply a revision about a second later than on the one it asks.
/// An instance that moved from a dead replica may be listed by both until the dead one's row expires: it is listed
/// once, as on the replica it connected to last.</para>
/// <para>Thread safety: all members are safe to call concurrently.</para>
/// </remarks>
internal sealed class FleetInstances : BackgroundService
{
    /// <summary>Most often a replica writes its changed instances.</summary>
    public static readonly TimeSpan PublishInterval = TimeSpan.FromSeconds(1);

    private readonly IFlagStore _store;
    private readonly InstanceRegistry _instances;
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetInstances> _logger;
    private byte[] _published = [];
    private DateTimeOffset _publishedAt;

    /// <summary>Creates the publisher.</summary>
    /// <param name="store">The shared store.</param>
    /// <param name="instances">This replica's connected instances.</param>
    /// <param name="leases">Whose holder name identifies this replica (unique per process).</param>
    /// <param name="options">The poll interval (heartbeat; rows expire after three).</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    public FleetInstances(IFlagStore store, InstanceRegistry instances, LeaseRunner leases, IOptions<FlagServerOptions> options, TimeProvider time, ILogger<FleetInstances> logger)
    {
        _store = store;
        _instances = instances;
        Replica = leases.Holder;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>This replica's row name.</summary>
    public string Replica { get; }

    /// <summary>How old another replica's row may be and still be listed: three poll intervals (at least three publishes).</summary>
    public TimeSpan ExpireAfter => 3 * (_options.ReplicaPollInterval > PublishInterval ? _options.ReplicaPollInterval : PublishInterval);

    /// <summary>
    /// This replica's instances with the other replicas' (as last published, within <see cref="ExpireAfter"/>), each
    /// instance once (the newest connection), by app and instance id. This replica's alone when the store cannot be read.
    /// </summary>
    /// <param name="local">This replica's instances of the environment.</param>
    /// <param name="environment">The environment, or empty for every environment.</param>
    /// <returns>The fleet's instances.</returns>
    public IReadOnlyList<InstanceInfo> Merge(IReadOnlyList<InstanceInfo> local, string environment)
    {
        IReadOnlyList<InstanceSummaryRecord> rows;
        try
        {
            rows = _store.LoadInstanceSummaries(_time.GetUtcNow() - ExpireAfter);
        }
        catch (DbException e)
        {
            ReplicationLog.InstancesUnavailable(_logger, "listing the other replicas' SDK instances", e.Message);
            return local;
        }

        var all = local.ToList();
        foreach (var row in rows.Where(r => r.Replica != Replica))
        {
            try
            {
                all.AddRange(ListInstancesResponse.Parser.ParseFrom(row.Instances).Instances
                    .Where(i => environment.Length == 0 || i.Environment == environment));
            }
            catch (InvalidProtocolBufferException e)
            {
                ReplicationLog.InstancesUnavailable(_logger, $"reading replica {row.Replica}'s instances", e.Message);
            }
        }

        return all
            .GroupBy(i => i.InstanceId, StringComparer.Ordinal)
            .Select(g => g.MaxBy(i => i.ConnectedAt?.ToDateTimeOffset() ?? DateTimeOffset.MinValue)!)
            .OrderBy(i => i.AppName, StringComparer.Ordinal)
            .ThenBy(i => i.InstanceId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Publishes this replica's instances now (tests; the publisher does it by itself).</summary>
    /// <returns>True when written.</returns>
    public bool Publish() => Publish(force: true);

    /// <summary>Stops publishing and deletes this replica's row (best effort: it expires otherwise).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>Completes when stopped.</returns>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _store.DeleteInstanceSummary(Replica);
        }
        catch (DbException)
        {
            // The row expires.
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PublishInterval, _time);
        try
        {
            do
            {
                Publish(force: false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync deletes the row.
        }
    }

    private bool Publish(bool force)
    {
        var now = _time.GetUtcNow();
        var list = new ListInstancesResponse();
        list.Instances.AddRange(_instances.List(""));
        var bytes = list.ToByteArray();
        var heartbeat = now - _publishedAt >= _options.ReplicaPollInterval;
        if (!force && !heartbeat && bytes.AsSpan().SequenceEqual(_published))
        {
            return false;
        }

        try
        {
            _store.PutInstanceSummary(new InstanceSummaryRecord(Replica, bytes, now));
            _published = bytes;
            _publishedAt = now;
            if (force || heartbeat)
            {
                // Rows of replicas that died long ago.
                _store.PruneInstanceSummaries(now - (2 * ExpireAfter));
            }

            return true;
        }
        catch (DbException e)
        {
            ReplicationLog.InstancesUnavailable(_logger, "publishing this replica's SDK instances", e.Message);
            return false;
        }
    }
}
