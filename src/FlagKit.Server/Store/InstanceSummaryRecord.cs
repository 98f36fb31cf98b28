namespace FlagKit.Server.Store;

/// <summary>One replica's connected SDK instances as it last published them (see <see cref="IInstanceSummaryStore"/>).</summary>
/// <param name="Replica">The replica (unique per process).</param>
/// <param name="Instances">Its instances, encoded by the replica (opaque to the store).</param>
/// <param name="UpdatedAt">When it wrote them (its clock).</param>
internal sealed record InstanceSummaryRecord(string Replica, byte[] Instances, DateTimeOffset UpdatedAt);
