using FlagKit.Server.Store;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Tests.Store;

/// <summary>The mode store contract against the SQLite store (a temp file per test).</summary>
public sealed class SqliteModeStoreContractTests : ModeStoreContractTests
{
    private DirectoryInfo? _dir;

    private string FilePath => Path.Combine((_dir ??= Directory.CreateTempSubdirectory("flagkit-modes-")).FullName, "flags.db");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => FlagDatabase.Open(FilePath, DateTimeOffset.UnixEpoch);

    /// <inheritdoc />
    protected override void ExecuteRaw(string sql)
    {
        using var c = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    protected override void DeleteLocation()
    {
        _dir?.Delete(recursive: true);
        _dir = null;
    }
}
