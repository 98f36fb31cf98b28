using FlagKit.Server.Releases;

namespace FlagKit.Server.Replication;

/// <summary>
/// Carries SDK release reports from the replica an SDK is connected to, to the replica that judges the releases
/// (see <see cref="ReleaseReportInbox.RelayThrough"/>). Registered only with several replicas (the postgres store).
/// </summary>
/// <remarks>Thread safety: all members are safe to call concurrently; <see cref="Post"/> never blocks.</remarks>
internal interface IReleaseReportRelay
{
    /// <summary>Whether a release running anywhere in the fleet watches the flag (as last read from the store).</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="flag">The flag key.</param>
    /// <returns>True when its reports are relayed.</returns>
    bool Watches(string environment, string flag);

    /// <summary>Queues a report for the store. Never blocks.</summary>
    /// <param name="environment">The environment the SDK reads.</param>
    /// <param name="report">The report.</param>
    /// <returns>False when this replica's queue is full (the report is dropped and counted).</returns>
    bool Post(string environment, ReleaseReport report);

    /// <summary>
    /// While this replica judges the releases: every report of the flag relayed by any replica since the last take
    /// (this replica's own queued ones first sent), each returned once. Empty on the other replicas.
    /// </summary>
    /// <param name="environment">The environment.</param>
    /// <param name="flag">The flag key.</param>
    /// <returns>The reports.</returns>
    IReadOnlyList<ReleaseReport> Take(string environment, string flag);
}
