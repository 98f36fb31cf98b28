namespace FlagKit.Server.Store;

/// <summary>
/// Each replica's connected SDK instances, as it last published them (one row per replica, with the time it was
/// written): what lets any replica answer <c>ListInstances</c> for the whole fleet. A replica that stops deletes its
/// row; the row of one that died is ignored once older than the readers' cut and pruned.
/// </summary>
internal interface IInstanceSummaryStore
{
    /// <summary>Writes (or replaces) a replica's row.</summary>
    /// <param name="summary">The row.</param>
    void PutInstanceSummary(InstanceSummaryRecord summary);

    /// <summary>The rows written at or after a time (older ones belong to replicas that stopped publishing).</summary>
    /// <param name="updatedSince">The cut.</param>
    /// <returns>The rows, by replica.</returns>
    IReadOnlyList<InstanceSummaryRecord> LoadInstanceSummaries(DateTimeOffset updatedSince);

    /// <summary>Deletes a replica's row (it stops).</summary>
    /// <param name="replica">The replica.</param>
    /// <returns>True when there was one.</returns>
    bool DeleteInstanceSummary(string replica);

    /// <summary>Deletes the rows written before a time.</summary>
    /// <param name="updatedBefore">The cut.</param>
    /// <returns>How many were deleted.</returns>
    int PruneInstanceSummaries(DateTimeOffset updatedBefore);
}
