using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>The fleet tables contract (report relay, instance summaries) against the SQLite store (a temp file per test).</summary>
public sealed class FleetStoreContractSqliteTests : FleetStoreContractTests
{
    private readonly SqliteTestStore _store = new("flagkit-relay-");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
