using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>The replica contract (change feed, leases) against the SQLite store (a temp file per test).</summary>
public sealed class ReplicaStoreContractSqliteTests : ReplicaStoreContractTests
{
    private DirectoryInfo? _dir;

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() =>
        FlagDatabase.Open(Path.Combine((_dir ??= Directory.CreateTempSubdirectory("flagkit-replica-")).FullName, "flags.db"), DateTimeOffset.UnixEpoch);

    /// <inheritdoc />
    protected override void DeleteLocation()
    {
        _dir?.Delete(recursive: true);
        _dir = null;
    }
}
