namespace FlagKit.Evaluation;

/// <summary>
/// What a snapshot built by a delta changed against the snapshot it was built from: the keys of every flag and segment
/// the delta upserted, removed or recompiled. Lets <see cref="SnapshotDiff"/> compare only those.
/// </summary>
/// <param name="BaseIdentity">The <see cref="FlagSnapshot.Identity"/> of the snapshot the delta was applied to (an id, not a
/// reference: a chain of references would keep every earlier snapshot alive).</param>
/// <param name="Flags">Flag keys upserted, removed or recompiled.</param>
/// <param name="Segments">Segment keys upserted, removed or recompiled.</param>
internal sealed record SnapshotLineage(long BaseIdentity, IReadOnlyCollection<string> Flags, IReadOnlyCollection<string> Segments);
