namespace FlagKit.Sources;

/// <summary>What a <see cref="GrpcFlagSource"/> has done, for tests and troubleshooting.</summary>
/// <remarks>Written by the source's loop, read from anywhere; each field is read on its own (no consistent cut).</remarks>
internal sealed class GrpcSyncDiagnostics
{
    private long _rejectedDocuments;
    private long _sessions;
    private long _lastHelloRevision;
    private long _lastAckedRevision;
    private long _cacheWrites;
    private long _channelsCreated;
    private long _serverMoves;
    private long _snapshots;
    private volatile GrpcSyncBatchRecord? _lastBatch;

    /// <summary>Streams opened (including failed attempts).</summary>
    public long Sessions { get => Interlocked.Read(ref _sessions); set => Interlocked.Exchange(ref _sessions, value); }

    /// <summary>The <c>last_revision</c> sent in the most recent Hello.</summary>
    public long LastHelloRevision { get => Interlocked.Read(ref _lastHelloRevision); set => Interlocked.Exchange(ref _lastHelloRevision, value); }

    /// <summary>The revision in the most recent Ack.</summary>
    public long LastAckedRevision { get => Interlocked.Read(ref _lastAckedRevision); set => Interlocked.Exchange(ref _lastAckedRevision, value); }

    /// <summary>Successful disk cache writes.</summary>
    public long CacheWrites { get => Interlocked.Read(ref _cacheWrites); set => Interlocked.Exchange(ref _cacheWrites, value); }

    /// <summary>gRPC channels created after the first (one per reconnect attempt when the source owns the handler).</summary>
    public long ChannelsCreated { get => Interlocked.Read(ref _channelsCreated); set => Interlocked.Exchange(ref _channelsCreated, value); }

    /// <summary>Times the source moved to the next of several server addresses.</summary>
    public long ServerMoves { get => Interlocked.Read(ref _serverMoves); set => Interlocked.Exchange(ref _serverMoves, value); }

    /// <summary>Full snapshots applied (a resume that got only what it missed does not count).</summary>
    public long Snapshots => Interlocked.Read(ref _snapshots);

    /// <summary>The last batch applied.</summary>
    public GrpcSyncBatchRecord? LastBatch => _lastBatch;

    /// <summary>Why the disk cache was not used at start, if it was not.</summary>
    public volatile string? CacheProblem;

    /// <summary>True once the disk cache was published (the server refused or did not answer in time, or ServeCacheWhileConnecting).</summary>
    public volatile bool ServedCache;

    /// <summary>How the last stream ended.</summary>
    public volatile string? LastDisconnect;

    /// <summary>Records an applied batch.</summary>
    /// <param name="kind">Snapshot, delta, or a bare marker.</param>
    /// <param name="fromRevision">Delta start.</param>
    /// <param name="toRevision">Revision applied.</param>
    /// <param name="documents">Documents in the batch.</param>
    /// <param name="failures">Documents that could not be applied.</param>
    public void RecordBatch(GrpcSyncBatchKind kind, long fromRevision, long toRevision, int documents, int failures)
    {
        if (kind == GrpcSyncBatchKind.Snapshot)
        {
            Interlocked.Increment(ref _snapshots);
        }

        _lastBatch = new GrpcSyncBatchRecord(kind, fromRevision, toRevision, documents, failures);
        Interlocked.Add(ref _rejectedDocuments, failures);
    }

    /// <summary>Documents that could not be applied, over every batch since start.</summary>
    public long RejectedDocuments => Interlocked.Read(ref _rejectedDocuments);
}

/// <summary>One applied batch.</summary>
/// <param name="Kind">Snapshot, delta, or a bare marker.</param>
/// <param name="FromRevision">Delta start (0 for a snapshot).</param>
/// <param name="ToRevision">Revision applied.</param>
/// <param name="Documents">Documents (or merged changes) in the batch.</param>
/// <param name="Failures">Documents that could not be applied.</param>
internal sealed record GrpcSyncBatchRecord(GrpcSyncBatchKind Kind, long FromRevision, long ToRevision, int Documents, int Failures);
