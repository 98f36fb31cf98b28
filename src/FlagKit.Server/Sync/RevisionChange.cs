using FlagKit.Protocol.V1;

namespace FlagKit.Server.Sync;

/// <summary>What one committed revision changed, as the sync stream sends it.</summary>
/// <param name="Revision">The revision (the environment was at <see cref="FromRevision"/> before).</param>
/// <param name="ContentHash">Hex SHA-256 of the environment's canonical content at this revision (may be empty).</param>
/// <param name="Upserts">Documents created or updated (their full new JSON).</param>
/// <param name="Removed">Documents archived.</param>
/// <param name="KilledFlags">Keys of flags this revision killed: sent before anything else.</param>
internal sealed record RevisionChange(
    long Revision,
    string ContentHash,
    IReadOnlyList<Document> Upserts,
    IReadOnlyList<DocumentRef> Removed,
    IReadOnlySet<string> KilledFlags)
{
    /// <summary>
    /// The revision before this change: <c>Revision - 1</c> for one commit; lower for a replica's catch-up, which
    /// publishes every revision it missed as one change (the net state of each document changed in them).
    /// </summary>
    public long FromRevision { get; init; } = Revision - 1;

    /// <summary>Approximate bytes held by this change (for the change log's budget).</summary>
    public long Bytes { get; } = Upserts.Sum(d => (long)d.Json.Length + d.Key.Length) + Removed.Sum(r => (long)r.Key.Length);
}
