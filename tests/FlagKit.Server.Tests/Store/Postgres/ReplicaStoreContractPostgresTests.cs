using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The change feed and lease contract against the PostgreSQL store (a new database per test on the run's throwaway cluster).</summary>
public sealed class ReplicaStoreContractPostgresTests : ReplicaStoreContractTests
{
    private readonly PostgresTestStore _store = new("replica_contract");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
