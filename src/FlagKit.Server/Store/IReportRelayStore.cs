namespace FlagKit.Server.Store;

/// <summary>
/// SDK release reports on their way from the replica an SDK is connected to, to the replica that judges the releases
/// (the <c>release-runner</c> lease holder): a bounded table of report batches. Each batch is appended once (its id is
/// the poster's; appending it again is a no-op, so a retried append never doubles it) and taken once (a take marks the
/// batches it returns; concurrent takes never return the same batch). Taken and old batches are pruned.
/// </summary>
internal interface IReportRelayStore
{
    /// <summary>
    /// Appends a batch unless the flag's untaken reports would then pass <paramref name="capacityPerFlag"/> (checked
    /// before anything is written). A batch whose id is stored already (taken or not) is not stored again.
    /// </summary>
    /// <param name="batch">The batch (<see cref="ReportBatchRecord.TakenAt"/> is ignored).</param>
    /// <param name="capacityPerFlag">Most untaken reports kept per environment and flag.</param>
    /// <returns>True when stored now or before; false when refused for capacity (nothing stored).</returns>
    bool AppendReportBatch(ReportBatchRecord batch, int capacityPerFlag);

    /// <summary>Takes the untaken batches of a flag, oldest first, marking them taken (each batch is returned by one take only).</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="flag">The flag key.</param>
    /// <param name="limit">At most this many batches.</param>
    /// <param name="now">When (stored as the batches' taken time).</param>
    /// <returns>The batches taken.</returns>
    IReadOnlyList<ReportBatchRecord> TakeReportBatches(long environmentId, string flag, int limit, DateTimeOffset now);

    /// <summary>Deletes the batches created before a time, taken or not (a taken batch's row keeps a retried append from storing it again until then).</summary>
    /// <param name="createdBefore">The cut.</param>
    /// <returns>How many were deleted.</returns>
    int PruneReportBatches(DateTimeOffset createdBefore);
}
