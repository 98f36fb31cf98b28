using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The history storage contract against the PostgreSQL store (a new database per test on the run's throwaway cluster).</summary>
public sealed class PostgresHistoryStorageContractTests : HistoryStorageContractTests
{
    private readonly PostgresTestStore _store = new("history");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void ExecuteRaw(string sql) => _store.ExecuteRaw(sql);

    /// <inheritdoc />
    protected override object? ScalarRaw(string sql) => _store.ScalarRaw(sql);

    /// <inheritdoc />
    protected override string Bytes(string text) => $"CAST('{text}' AS bytea)";

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
