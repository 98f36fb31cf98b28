using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The store contract against the PostgreSQL store (a new database per test on the run's throwaway cluster).</summary>
public sealed class PostgresStoreContractTests : StoreContractTests
{
    private readonly PostgresTestStore _store = new("contract");

    /// <inheritdoc />
    protected override int ExpectedSchemaVersion => PostgresFlagStore.CurrentSchemaVersion;

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void ExecuteRaw(string sql) => _store.ExecuteRaw(sql);

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
