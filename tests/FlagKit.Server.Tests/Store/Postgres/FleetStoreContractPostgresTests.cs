using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The fleet tables contract (report relay, instance summaries) against the PostgreSQL store (a new database per test on the run's throwaway cluster).</summary>
public sealed class FleetStoreContractPostgresTests : FleetStoreContractTests
{
    private readonly PostgresTestStore _store = new("relay_contract");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
