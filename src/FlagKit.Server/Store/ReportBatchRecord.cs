namespace FlagKit.Server.Store;

/// <summary>One batch of SDK release reports for one flag, posted by one replica (see <see cref="IReportRelayStore"/>).</summary>
/// <param name="Id">Chosen by the poster, unique; the same id on a retried append.</param>
/// <param name="EnvironmentId">The environment row.</param>
/// <param name="Flag">The flag key.</param>
/// <param name="Reports">How many reports the payload holds (what the capacity counts).</param>
/// <param name="Payload">The reports, encoded by the poster (opaque to the store).</param>
/// <param name="CreatedAt">When it was posted (the poster's clock; what pruning goes by).</param>
/// <param name="TakenAt">When a take returned it; null while waiting.</param>
internal sealed record ReportBatchRecord(Guid Id, long EnvironmentId, string Flag, int Reports, byte[] Payload, DateTimeOffset CreatedAt, DateTimeOffset? TakenAt = null);
