using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The replica contract (change feed, leases) against the PostgreSQL store (a new database per test).</summary>
public sealed class ReplicaStoreContractPostgresTests : ReplicaStoreContractTests
{
    private string? _connectionString;

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() =>
        PostgresFlagStore.Open(_connectionString ??= PostgresSetUp.Cluster.CreateDatabase("replica_contract"), DateTimeOffset.UnixEpoch);

    /// <inheritdoc />
    protected override void DeleteLocation() => _connectionString = null;
}
