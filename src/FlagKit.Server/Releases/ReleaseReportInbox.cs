using System.Collections.Concurrent;

namespace FlagKit.Server.Releases;

/// <summary>
/// Where SDK telemetry reports wait for the release that judges them: the sync stream posts each instance's per-flag,
/// per-variant figures here; the release runner of a flag takes everything that arrived since its last interval.
/// </summary>
/// <remarks>
/// <para>Only flags someone watches (a running release) are kept; reports for every other flag are discarded on
/// arrival, so memory follows the running releases, not the SDK fleet. Each watched flag holds at most
/// <see cref="CapacityPerFlag"/> pending reports; past it a report is dropped and counted (<see cref="Dropped"/>),
/// never blocking the stream that posts it.</para>
/// <para>Thread safety: all members are safe to call concurrently.</para>
/// </remarks>
internal sealed class ReleaseReportInbox
{
    private readonly ConcurrentDictionary<(string Environment, string Flag), Box> _boxes = new();
    private long _dropped;
    private volatile Replication.IReleaseReportRelay? _relay;

    /// <summary>Creates an inbox.</summary>
    /// <param name="capacityPerFlag">Pending reports kept per watched flag before new ones are dropped (≥ 1).</param>
    public ReleaseReportInbox(int capacityPerFlag = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityPerFlag, 1);
        CapacityPerFlag = capacityPerFlag;
    }

    /// <summary>Pending reports kept per watched flag.</summary>
    public int CapacityPerFlag { get; }

    /// <summary>Reports dropped because a watched flag's box was full, since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Starts keeping reports for a flag (idempotent).</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="flag">The flag key.</param>
    public void Watch(string environment, string flag) => _boxes.GetOrAdd((environment, flag), static _ => new Box());

    /// <summary>Stops keeping reports for a flag and discards the pending ones.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="flag">The flag key.</param>
    public void Unwatch(string environment, string flag) => _boxes.TryRemove((environment, flag), out _);

    /// <summary>Whether reports for the flag are kept.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="flag">The flag key.</param>
    /// <returns>True while watched.</returns>
    public bool IsWatched(string environment, string flag) => _boxes.ContainsKey((environment, flag)) || _relay?.Watches(environment, flag) == true;

    /// <summary>
    /// Several replicas: from now on a report of a flag watched here or by a release running on another replica goes to
    /// <paramref name="relay"/> (the store) instead of this inbox's box, and <see cref="Take"/> adds the flag's reports
    /// the relay takes (from every replica, on the replica that judges the releases). Call once, at start.
    /// </summary>
    /// <param name="relay">The relay.</param>
    public void RelayThrough(Replication.IReleaseReportRelay relay) => _relay = relay;

    /// <summary>Posts one report. Never blocks.</summary>
    /// <param name="environment">The environment the reporting SDK is subscribed to.</param>
    /// <param name="report">The figures.</param>
    /// <returns>True when kept (or relayed); false when the flag is not watched or its box is full (then counted in <see cref="Dropped"/>, or by the relay).</returns>
    public bool Post(string environment, ReleaseReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (_relay is { } relay)
        {
            return (_boxes.ContainsKey((environment, report.Flag)) || relay.Watches(environment, report.Flag)) && relay.Post(environment, report);
        }

        if (!_boxes.TryGetValue((environment, report.Flag), out var box))
        {
            return false;
        }

        if (Interlocked.Increment(ref box.Count) > CapacityPerFlag)
        {
            Interlocked.Decrement(ref box.Count);
            Interlocked.Increment(ref _dropped);
            return false;
        }

        box.Queue.Enqueue(report);
        return true;
    }

    /// <summary>Takes every report of a flag that arrived since the last take (empty when none or not watched), with the ones relayed from other replicas.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="flag">The flag key.</param>
    /// <returns>The reports, in arrival order.</returns>
    public IReadOnlyList<ReleaseReport> Take(string environment, string flag)
    {
        if (!_boxes.TryGetValue((environment, flag), out var box))
        {
            return [];
        }

        var taken = new List<ReleaseReport>();
        Drain(box, taken);

        if (_relay is { } relay)
        {
            taken.AddRange(relay.Take(environment, flag));
        }

        return taken;
    }

    /// <summary>
    /// Drops the reports of a flag that wait in this replica's own box, and only those: what other replicas relayed is
    /// left for the replica that judges the release (a replica that is not judging discards, and must not take the
    /// relayed batches from under the one that is).
    /// </summary>
    /// <param name="environment">The environment.</param>
    /// <param name="flag">The flag key.</param>
    /// <returns>How many reports were dropped.</returns>
    public int Discard(string environment, string flag)
    {
        if (!_boxes.TryGetValue((environment, flag), out var box))
        {
            return 0;
        }

        return Drain(box, into: null);
    }

    /// <summary>Empties <paramref name="box"/> into <paramref name="into"/> (or nowhere), freeing its capacity; returns how many.</summary>
    private static int Drain(Box box, List<ReleaseReport>? into)
    {
        var n = 0;
        while (box.Queue.TryDequeue(out var report))
        {
            Interlocked.Decrement(ref box.Count);
            into?.Add(report);
            n++;
        }

        return n;
    }

    private sealed class Box
    {
        public readonly ConcurrentQueue<ReleaseReport> Queue = new();
        public int Count;
    }
}
