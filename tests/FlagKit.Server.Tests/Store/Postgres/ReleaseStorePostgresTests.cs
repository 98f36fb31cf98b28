using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The release store contract against the PostgreSQL store (a new database per test on the run's throwaway cluster).</summary>
public sealed class ReleaseStorePostgresTests : ReleaseStoreContractTests
{
    private readonly PostgresTestStore _store = new("release");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void ExecuteRaw(string sql) => _store.ExecuteRaw(sql);

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
