using FlagKit.Protocol.V1;

namespace FlagKit.Sources;

/// <summary>
/// The Snapshot or Delta messages received since the last <c>Transferred</c> marker. Nothing here is applied:
/// the batch is built aside when its marker arrives, or discarded whole if the stream breaks first.
/// </summary>
/// <remarks>
/// Delta parts are merged by document as they arrive (last word per key wins: an upsert after a removal revives,
/// a removal after an upsert removes), so the snapshot builder sees one change set. Not thread-safe: owned by
/// one receive loop.
/// </remarks>
internal sealed class GrpcSyncBatch
{
    private readonly List<Document> _snapshotDocuments = [];
    private readonly Dictionary<(DocumentKind Kind, string Key), Document?> _changes = [];

    /// <summary>What the batch holds so far.</summary>
    public GrpcSyncBatchKind Kind { get; private set; }

    /// <summary>Revision the batch starts from (delta: from_revision; snapshot: 0).</summary>
    public long FromRevision { get; private set; }

    /// <summary>Revision the batch is complete at once transferred.</summary>
    public long ToRevision { get; private set; }

    /// <summary>Documents of a snapshot batch, in arrival order.</summary>
    public IReadOnlyList<Document> SnapshotDocuments => _snapshotDocuments;

    /// <summary>Merged delta changes: a document to upsert, or <see langword="null"/> for a removal.</summary>
    public IReadOnlyDictionary<(DocumentKind Kind, string Key), Document?> Changes => _changes;

    /// <summary>Messages received in this batch.</summary>
    public int MessageCount { get; private set; }

    /// <summary>Adds a part of a full snapshot.</summary>
    /// <param name="part">The message.</param>
    /// <returns>A protocol violation to report, or <see langword="null"/>.</returns>
    public string? Add(Snapshot part)
    {
        MessageCount++;
        if (Kind == GrpcSyncBatchKind.Delta)
        {
            return "a Snapshot message arrived in the middle of a Delta batch";
        }

        if (Kind == GrpcSyncBatchKind.Snapshot && part.Revision != ToRevision)
        {
            return $"Snapshot parts of one batch name revisions {ToRevision} and {part.Revision}";
        }

        Kind = GrpcSyncBatchKind.Snapshot;
        ToRevision = part.Revision;
        _snapshotDocuments.AddRange(part.Documents);
        return null;
    }

    /// <summary>Adds a part of a change set.</summary>
    /// <param name="part">The message.</param>
    /// <param name="heldRevision">The revision the SDK holds (the first delta must start there).</param>
    /// <returns>A protocol violation to report, or <see langword="null"/>.</returns>
    public string? Add(Delta part, long heldRevision)
    {
        MessageCount++;
        switch (Kind)
        {
            case GrpcSyncBatchKind.Snapshot:
                return "a Delta message arrived in the middle of a Snapshot batch";
            case GrpcSyncBatchKind.None when part.FromRevision != heldRevision:
                return $"a Delta from revision {part.FromRevision} arrived, but this SDK holds revision {heldRevision}";
            case GrpcSyncBatchKind.None:
                FromRevision = part.FromRevision;
                break;
            default:
                bool continues = part.FromRevision == FromRevision && part.ToRevision == ToRevision;
                bool chains = part.FromRevision == ToRevision;
                if (!continues && !chains)
                {
                    return $"a Delta {part.FromRevision}->{part.ToRevision} does not follow {FromRevision}->{ToRevision}";
                }

                break;
        }

        if (part.ToRevision < part.FromRevision)
        {
            return $"a Delta goes backwards ({part.FromRevision}->{part.ToRevision})";
        }

        Kind = GrpcSyncBatchKind.Delta;
        ToRevision = part.ToRevision;
        foreach (DocumentRef removed in part.Removed)
        {
            _changes[(removed.Kind, removed.Key)] = null;
        }

        foreach (Document upsert in part.Upserts)
        {
            _changes[(upsert.Kind, upsert.Key)] = upsert;
        }

        return null;
    }

    /// <summary>Checks the closing marker against what the batch says.</summary>
    /// <param name="revision">The marker's revision.</param>
    /// <returns>A protocol violation to report, or <see langword="null"/>.</returns>
    public string? CheckTransferred(long revision)
    {
        if (Kind != GrpcSyncBatchKind.None && revision != ToRevision)
        {
            return $"Transferred names revision {revision} but the batch is at revision {ToRevision}";
        }

        return null;
    }
}

/// <summary>What a <see cref="GrpcSyncBatch"/> holds.</summary>
internal enum GrpcSyncBatchKind
{
    /// <summary>Nothing yet (a Transferred now only confirms the held revision).</summary>
    None,

    /// <summary>Parts of a full snapshot: replaces everything held.</summary>
    Snapshot,

    /// <summary>Parts of a change set on top of the held revision.</summary>
    Delta,
}
