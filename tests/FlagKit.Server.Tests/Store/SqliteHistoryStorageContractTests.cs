using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>The history storage contract against the SQLite store (a temp file per test).</summary>
public sealed class SqliteHistoryStorageContractTests : HistoryStorageContractTests
{
    private readonly SqliteTestStore _store = new("flagkit-history-");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void ExecuteRaw(string sql) => _store.ExecuteRaw(sql);

    /// <inheritdoc />
    protected override object? ScalarRaw(string sql) => _store.ScalarRaw(sql);

    /// <inheritdoc />
    protected override string Bytes(string text) => $"CAST('{text}' AS BLOB)";

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
