using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>The schedule and freeze store contract against the SQLite store (a temp file per test).</summary>
public sealed class SqliteScheduleStoreContractTests : ScheduleStoreContractTests
{
    private DirectoryInfo? _dir;

    private string FilePath => Path.Combine((_dir ??= Directory.CreateTempSubdirectory("flagkit-schedule-")).FullName, "flags.db");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => FlagDatabase.Open(FilePath, DateTimeOffset.UnixEpoch);

    /// <inheritdoc />
    protected override void DeleteLocation()
    {
        _dir?.Delete(recursive: true);
        _dir = null;
    }
}
