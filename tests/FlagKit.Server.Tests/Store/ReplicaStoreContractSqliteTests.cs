using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>The change feed and lease contract against the SQLite store (a temp file per test).</summary>
public sealed class ReplicaStoreContractSqliteTests : ReplicaStoreContractTests
{
    private readonly SqliteTestStore _store = new("flagkit-replica-");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
