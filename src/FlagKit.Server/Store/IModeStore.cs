namespace FlagKit.Server.Store;

/// <summary>
/// The store's operating modes: one mode document per environment with its own version, an immutable history row per
/// change, and an audit row, committed in one transaction.
/// </summary>
internal interface IModeStore
{
    /// <summary>The modes of an environment, or null when it never had a mode change.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <returns>The stored modes.</returns>
    ModeRecord? LoadModes(long environmentId);

    /// <summary>
    /// Commits one mode change: the version moves from <see cref="ModeCommit.FromVersion"/> to the next record's
    /// (refused when another writer moved it), with its history and audit rows. Returns once durable.
    /// </summary>
    /// <param name="commit">The change.</param>
    /// <exception cref="ModeVersionConflictException">The modes are no longer at <see cref="ModeCommit.FromVersion"/>; nothing was stored.</exception>
    void CommitModes(ModeCommit commit);

    /// <summary>Mode history, newest first.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="limit">At most this many rows.</param>
    /// <returns>The rows.</returns>
    IReadOnlyList<ModeHistoryRecord> GetModeHistory(long environmentId, int limit);
}
