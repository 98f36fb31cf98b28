using FlagKit.Protocol.V1;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Server.Sync;

/// <summary>
/// One environment's fan-out: the current documents, the latest snapshot serialized once and shared by every
/// subscriber, and a bounded change log by revision so that a reconnecting SDK gets only what it missed.
/// </summary>
/// <remarks>
/// <para>Publishing never waits on a subscriber: each gets the same pre-serialized batch through its bounded queue,
/// and one whose queue is full is ended with Resync (it reconnects and takes a full snapshot). Server memory is
/// therefore bounded by the change log's budget plus, per subscriber, its queue capacity in shared references.</para>
/// <para>A first batch is shared too: the snapshot is built once per revision, and so is the merged delta from each
/// resume revision (cached until the next publish, at most about one snapshot's bytes of them). A resume whose delta is
/// over a chunk and as large as the snapshot, or would overflow that cache, gets the shared snapshot instead; a delta
/// of at most a chunk that no longer fits the cache is built for its stream alone. However many streams resume at one
/// revision and never read, what their first batches hold is about two snapshots plus one chunk per stream.</para>
/// <para>Thread safety: all members are safe to call concurrently; state changes happen under one lock, which is
/// also what orders a subscriber's initial batch before every later change.</para>
/// </remarks>
internal sealed class EnvironmentHub
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(DocumentKind Kind, string Key), Document> _documents = [];
    private readonly LinkedList<RevisionChange> _log = new();
    private readonly HashSet<SyncSubscriber> _subscribers = [];
    private readonly Dictionary<long, SyncBatch> _resumeDeltas = [];
    private readonly int _logCapacity;
    private readonly long _logByteBudget;
    private readonly int _chunkBytes;
    private readonly Diagnostics.ServerMetrics? _metrics;
    private long _logBytes;
    private long _revision;
    private string _contentHash = "";
    private SyncBatch? _snapshot;
    private long _documentBytes;
    private long _resumeDeltaBytes;
    private long _droppedSubscribers;
    private readonly ILogger? _fanoutLog;
    private readonly TimeProvider _time;
    private ModeState _mode = new();

    /// <summary>Creates an empty hub.</summary>
    /// <param name="environment">The environment name.</param>
    /// <param name="logCapacity">Revisions kept in the change log.</param>
    /// <param name="chunkBytes">Messages are cut at about this many bytes of documents.</param>
    /// <param name="metrics">Where fan-out latency and dropped subscribers are recorded (none when null).</param>
    /// <param name="fanoutLog">The fan-out log (<see cref="FanoutLog.Category"/>); each publish is tracked only while it is enabled.</param>
    /// <param name="time">The clock of the fan-out log (default: the system's).</param>
    public EnvironmentHub(string environment, int logCapacity, int chunkBytes, Diagnostics.ServerMetrics? metrics = null, ILogger? fanoutLog = null, TimeProvider? time = null)
    {
        _metrics = metrics;
        Environment = environment;
        _fanoutLog = fanoutLog;
        _time = time ?? TimeProvider.System;
        _logCapacity = logCapacity;
        _chunkBytes = chunkBytes;
        _logByteBudget = Math.Max(64L * 1024 * 1024, (long)chunkBytes * 16);
    }

    /// <summary>The environment name.</summary>
    public string Environment { get; }

    /// <summary>The revision the hub serves.</summary>
    public long Revision
    {
        get
        {
            lock (_lock)
            {
                return _revision;
            }
        }
    }

    /// <summary>Subscribers connected now.</summary>
    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Revisions held in the change log now.</summary>
    public int ChangeLogLength
    {
        get
        {
            lock (_lock)
            {
                return _log.Count;
            }
        }
    }

    /// <summary>The environment's operating modes now (version 0, empty, until the first mode change).</summary>
    public ModeState Mode
    {
        get
        {
            lock (_lock)
            {
                return _mode;
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="mode"/> the environment's modes and sends them to every subscriber that takes modes, ahead
    /// of anything queued (<see cref="SyncSubscriber.Prioritize"/>); an older version than the current one is ignored.
    /// </summary>
    /// <param name="mode">The modes.</param>
    public void PublishMode(ModeState mode)
    {
        lock (_lock)
        {
            if (mode.Version <= _mode.Version)
            {
                return;
            }

            _mode = mode;
            var frame = SyncFrame.From(new SyncResponse { Mode = mode });
            foreach (var s in _subscribers)
            {
                if (s.TakesModes)
                {
                    s.Prioritize(frame);
                }
            }
        }
    }

    /// <summary>Subscribers ended because they fell behind, since start.</summary>
    public long DroppedSubscribers => Interlocked.Read(ref _droppedSubscribers);

    /// <summary>Replaces the whole state (at start). The change log starts empty.</summary>
    /// <param name="revision">The environment's revision.</param>
    /// <param name="contentHash">Its content hash.</param>
    /// <param name="documents">The live documents.</param>
    public void Reset(long revision, string contentHash, IEnumerable<Document> documents)
    {
        lock (_lock)
        {
            _documents.Clear();
            foreach (var d in documents)
            {
                _documents[(d.Kind, d.Key)] = d;
            }

            _revision = revision;
            _contentHash = contentHash;
            _log.Clear();
            _logBytes = 0;
            _documentBytes = _documents.Values.Sum(Size);
            ForgetBatchesLocked();
        }
    }

    /// <summary>
    /// Fills the empty change log of a hub just loaded from the store with the changes that led to its revision, so that
    /// an SDK resuming from a recent revision after a restart gets a delta, not a snapshot. Nothing is sent. Ignored
    /// unless the log is empty and the changes are contiguous and end at the hub's revision.
    /// </summary>
    /// <param name="changes">The changes, oldest first (each one's <see cref="RevisionChange.FromRevision"/> the previous one's revision).</param>
    /// <returns>True when the log was filled.</returns>
    public bool SeedLog(IReadOnlyList<RevisionChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        lock (_lock)
        {
            if (_log.Count != 0 || changes.Count == 0 || changes[^1].Revision != _revision
                || changes.Skip(1).Zip(changes, (next, previous) => next.FromRevision != previous.Revision).Any(gap => gap))
            {
                return false;
            }

            foreach (var change in changes)
            {
                _log.AddLast(change);
                _logBytes += change.Bytes;
            }

            while (_log.Count > _logCapacity || (_logBytes > _logByteBudget && _log.Count > 1))
            {
                _logBytes -= _log.First!.Value.Bytes;
                _log.RemoveFirst();
            }

            _resumeDeltas.Clear();
            _resumeDeltaBytes = 0;
            return true;
        }
    }

    /// <summary>Applies a committed revision (or a replica's catch-up over several) and sends it to every subscriber (never waits on one).</summary>
    /// <param name="change">The change; it must start at the hub's revision.</param>
    /// <exception cref="InvalidOperationException">The change is not the next revision.</exception>
    public void Publish(RevisionChange change)
    {
        lock (_lock)
        {
            if (change.FromRevision != _revision || change.Revision <= _revision)
            {
                throw new InvalidOperationException($"Hub '{Environment}' is at revision {_revision}; cannot publish revisions {change.FromRevision}..{change.Revision}.");
            }

            foreach (var r in change.Removed)
            {
                if (_documents.Remove((r.Kind, r.Key), out var old))
                {
                    _documentBytes -= Size(old);
                }
            }

            foreach (var d in change.Upserts)
            {
                if (_documents.TryGetValue((d.Kind, d.Key), out var old))
                {
                    _documentBytes -= Size(old);
                }

                _documents[(d.Kind, d.Key)] = d;
                _documentBytes += Size(d);
            }

            var from = _revision;
            _revision = change.Revision;
            _contentHash = change.ContentHash;
            ForgetBatchesLocked();
            _log.AddLast(change);
            _logBytes += change.Bytes;
            while (_log.Count > _logCapacity || (_logBytes > _logByteBudget && _log.Count > 1))
            {
                _logBytes -= _log.First!.Value.Bytes;
                _log.RemoveFirst();
            }

            var batch = BuildDelta(from, change.Revision, change.Upserts, change.Removed, change.KilledFlags) with { FanOut = _metrics?.StartFanOut(Environment) };
            var fanout = _subscribers.Count != 0 && _fanoutLog?.IsEnabled(LogLevel.Information) == true
                ? new FanoutTracker(Environment, change.Revision, _subscribers.Count, _time.GetUtcNow(), _time, _fanoutLog)
                : null;
            EnqueueLocked(batch with { Fanout = fanout }, change.Revision);
            batch.FanOut?.Published();
        }
    }

    /// <summary>
    /// Adds a subscriber and queues its first batch: only the changes after <paramref name="lastRevision"/> when the
    /// change log still has them all, else the full snapshot.
    /// </summary>
    /// <param name="subscriber">The new subscriber (its queue must be empty).</param>
    /// <param name="lastRevision">The last complete revision the SDK holds (0: none).</param>
    /// <returns>The revision the first batch completes, and whether it is a full snapshot.</returns>
    /// <remarks>A subscriber that was ended already is not added.</remarks>
    public (long Revision, bool FullSnapshot) Subscribe(SyncSubscriber subscriber, long lastRevision)
    {
        lock (_lock)
        {
            var (batch, full) = InitialBatchLocked(lastRevision);
            if (!subscriber.TryEnqueue(batch))
            {
                // Ended before it joined (its key was revoked meanwhile): it is not added; its stream ends.
                return subscriber.EndReason != SubscriberEnd.None
                    ? (_revision, full)
                    : throw new InvalidOperationException("A new subscriber's queue must have room for its first batch.");
            }

            _subscribers.Add(subscriber);
            return (_revision, full);
        }
    }

    /// <summary>Removes a subscriber (its stream ended; called once per stream, after it ended) and counts the end when the server caused it.</summary>
    /// <param name="subscriber">The subscriber.</param>
    public void Unsubscribe(SyncSubscriber subscriber)
    {
        lock (_lock)
        {
            _subscribers.Remove(subscriber);
        }

        _metrics?.StreamEnded(Environment, subscriber.EndReason);
    }

    /// <summary>Queues a heartbeat to every subscriber; one with a full queue is told to resync.</summary>
    /// <param name="now">The server time to send.</param>
    public void Heartbeat(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (_subscribers.Count == 0)
            {
                return;
            }

            var frame = SyncFrame.From(new SyncResponse
            {
                Heartbeat = new Heartbeat { Revision = _revision, ServerTime = Timestamp.FromDateTimeOffset(now) },
            });
            EnqueueLocked(new SyncBatch(_revision, [frame], Transfers: false), _revision);
        }
    }

    /// <summary>Ends every subscriber with a reason (server shutdown).</summary>
    /// <param name="reason">Why.</param>
    /// <param name="message">What they are told.</param>
    public void EndAll(SubscriberEnd reason, string message)
    {
        lock (_lock)
        {
            foreach (var s in _subscribers)
            {
                s.End(reason, message);
            }

            _subscribers.Clear();
        }
    }

    /// <summary>Ends the streams opened with one API key.</summary>
    /// <param name="keyId">The key id.</param>
    /// <returns>How many streams were ended.</returns>
    public int EndKey(string keyId)
    {
        lock (_lock)
        {
            var ended = 0;
            foreach (var s in _subscribers.Where(s => s.KeyId == keyId).ToList())
            {
                s.End(SubscriberEnd.Revoked, "the API key was revoked");
                _subscribers.Remove(s);
                ended++;
            }

            return ended;
        }
    }

    /// <summary>Queues one shared batch to every subscriber; one whose queue is full is dropped (told to resync).</summary>
    private void EnqueueLocked(SyncBatch batch, long revision)
    {
        List<SyncSubscriber>? behind = null;
        foreach (var s in _subscribers)
        {
            if (!s.TryEnqueue(batch))
            {
                batch.Fanout?.Abandoned();
                (behind ??= []).Add(s);
            }
        }

        foreach (var s in behind ?? [])
        {
            DropLocked(s, $"fell behind: more than {s.Capacity} batches waiting at revision {revision}");
        }
    }

    private void DropLocked(SyncSubscriber subscriber, string message)
    {
        _subscribers.Remove(subscriber);
        if (subscriber.End(SubscriberEnd.Resync, message))
        {
            Interlocked.Increment(ref _droppedSubscribers);
        }
    }

    private (SyncBatch Batch, bool Full) InitialBatchLocked(long lastRevision)
    {
        var resumable = lastRevision > 0 && lastRevision <= _revision
            && (lastRevision == _revision || (_log.First is { } oldest && oldest.Value.FromRevision <= lastRevision));
        if (!resumable)
        {
            return (_snapshot ??= BuildSnapshotLocked(), true);
        }

        if (_resumeDeltas.TryGetValue(lastRevision, out var cached))
        {
            return (cached, false);
        }

        var (upserts, removed, killed) = MergeSinceLocked(lastRevision);
        var bytes = upserts.Sum(Size) + removed.Sum(r => (long)r.Key.Length);
        var cacheable = _resumeDeltaBytes + bytes <= ResumeCacheBudget;
        if (bytes > _chunkBytes && (bytes >= _documentBytes || !cacheable))
        {
            // As large as the snapshot, or too large to keep: the snapshot, which every stream shares.
            return (_snapshot ??= BuildSnapshotLocked(), true);
        }

        var delta = BuildDelta(lastRevision, _revision, upserts, removed, killed);
        if (cacheable)
        {
            _resumeDeltas[lastRevision] = delta;
            _resumeDeltaBytes += delta.Bytes;
        }

        // Not cached: at most about one chunk, held by this stream alone.
        return (delta, false);
    }

    /// <summary>Bytes of merged resume deltas kept for the current revision: about one snapshot (at least a chunk).</summary>
    private long ResumeCacheBudget => Math.Max(_documentBytes, _chunkBytes);

    /// <summary>The missed revisions merged into one net change: the last state of each touched document wins.</summary>
    private (List<Document> Upserts, List<DocumentRef> Removed, HashSet<string> Killed) MergeSinceLocked(long lastRevision)
    {
        var upserts = new Dictionary<(DocumentKind, string), Document>();
        var removed = new Dictionary<(DocumentKind, string), DocumentRef>();
        var killed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var change in _log.Where(c => c.Revision > lastRevision))
        {
            foreach (var r in change.Removed)
            {
                upserts.Remove((r.Kind, r.Key));
                removed[(r.Kind, r.Key)] = r;
            }

            foreach (var d in change.Upserts)
            {
                removed.Remove((d.Kind, d.Key));
                upserts[(d.Kind, d.Key)] = d;
            }

            killed.UnionWith(change.KilledFlags);
        }

        return (upserts.Values.ToList(), removed.Values.ToList(), killed);
    }

    private void ForgetBatchesLocked()
    {
        _snapshot = null;
        _resumeDeltas.Clear();
        _resumeDeltaBytes = 0;
    }

    private static long Size(Document d) => (long)d.Json.Length + d.Key.Length;

    private SyncBatch BuildSnapshotLocked()
    {
        var frames = new List<SyncFrame>();
        var current = new Snapshot { Revision = _revision };
        var size = 0L;
        foreach (var d in _documents.Values.OrderBy(d => d.Kind).ThenBy(d => d.Key, StringComparer.Ordinal))
        {
            if (size > 0 && size + d.Json.Length > _chunkBytes)
            {
                frames.Add(SyncFrame.From(new SyncResponse { Snapshot = current }));
                current = new Snapshot { Revision = _revision };
                size = 0;
            }

            current.Documents.Add(d);
            size += d.Json.Length + d.Key.Length;
        }

        frames.Add(SyncFrame.From(new SyncResponse { Snapshot = current }));
        frames.Add(Transferred(_revision));
        return new SyncBatch(_revision, frames);
    }

    private SyncBatch BuildDelta(long from, long to, IReadOnlyCollection<Document> upserts, IReadOnlyCollection<DocumentRef> removed, IReadOnlySet<string> killed)
    {
        // Kills first: an SDK reading the batch in order sees them before anything queued behind them.
        var ordered = upserts
            .OrderBy(d => d.Kind == DocumentKind.Flag && killed.Contains(d.Key) ? 0 : 1)
            .ThenBy(d => d.Kind)
            .ThenBy(d => d.Key, StringComparer.Ordinal);
        var frames = new List<SyncFrame>();
        var current = new Delta { FromRevision = from, ToRevision = to };
        var size = 0L;
        foreach (var d in ordered)
        {
            if (size > 0 && size + d.Json.Length > _chunkBytes)
            {
                frames.Add(SyncFrame.From(new SyncResponse { Delta = current }));
                current = new Delta { FromRevision = from, ToRevision = to };
                size = 0;
            }

            current.Upserts.Add(d);
            size += d.Json.Length + d.Key.Length;
        }

        current.Removed.AddRange(removed);
        frames.Add(SyncFrame.From(new SyncResponse { Delta = current }));
        frames.Add(Transferred(to));
        return new SyncBatch(to, frames);
    }

    private SyncFrame Transferred(long revision) =>
        SyncFrame.From(new SyncResponse { Transferred = new Transferred { Revision = revision, ContentHash = _contentHash } });
}
