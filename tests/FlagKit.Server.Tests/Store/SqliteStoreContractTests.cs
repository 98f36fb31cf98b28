using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>The store contract against the SQLite store (a temp file per test).</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly SqliteTestStore _store = new("flagkit-contract-");

    /// <inheritdoc />
    protected override int ExpectedSchemaVersion => FlagDatabase.CurrentSchemaVersion;

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void ExecuteRaw(string sql) => _store.ExecuteRaw(sql);

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
