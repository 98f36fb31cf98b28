namespace FlagKit.Server.Store;

/// <summary>The store's history (immutable rows) and audit (immutable rows).</summary>
internal interface IHistoryStore
{
    /// <summary>History rows, newest first.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="key">One document's key, or null for the whole environment.</param>
    /// <param name="limit">At most this many rows.</param>
    /// <param name="beforeRevision">Only rows with a lower revision (0: no bound).</param>
    /// <returns>The rows.</returns>
    IReadOnlyList<HistoryRecord> GetHistory(long environmentId, string? key, int limit, long beforeRevision);

    /// <summary>
    /// The state of every document that existed at some point up to <paramref name="revision"/>: its last history row
    /// at or before that revision (whose <see cref="HistoryRecord.After"/> is null when it was archived then).
    /// </summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="revision">The revision to reconstruct.</param>
    /// <returns>One row per document.</returns>
    IReadOnlyList<HistoryRecord> GetStateAt(long environmentId, long revision);

    /// <summary>Audit rows for an environment (or all, when empty), newest first.</summary>
    /// <param name="environment">Environment name, or empty for every row.</param>
    /// <param name="limit">At most this many rows.</param>
    /// <returns>The rows.</returns>
    IReadOnlyList<AuditRecord> GetAudit(string environment, int limit);
}
