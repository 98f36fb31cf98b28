using FlagKit.Server.Store;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Tests.Store;

/// <summary>
/// The SQLite side of a store contract suite: one temp file per test, opened as the server opens it, raw SQL for
/// injecting faults, deleted afterwards. Each area's SQLite subclass delegates to one of these.
/// </summary>
/// <param name="prefix">The temp directory's name prefix (which suite left it, if a run dies).</param>
internal sealed class SqliteTestStore(string prefix)
{
    private DirectoryInfo? _dir;

    private string FilePath => Path.Combine((_dir ??= Directory.CreateTempSubdirectory(prefix)).FullName, "flags.db");

    /// <summary>Opens (and migrates) the store on this test's file.</summary>
    public IFlagStore Open() => FlagDatabase.Open(FilePath, DateTimeOffset.UnixEpoch);

    /// <summary>Runs SQL on the file, beside the store.</summary>
    public void ExecuteRaw(string sql)
    {
        using var c = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Runs a query on the file, beside the store, and returns its single value.</summary>
    public object? ScalarRaw(string sql)
    {
        using var c = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    /// <summary>The detail lines of SQLite's query plan for <paramref name="sql"/> (its parameters unbound), on this test's file.</summary>
    public IReadOnlyList<string> QueryPlan(string sql)
    {
        using var c = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + sql;
        using var reader = cmd.ExecuteReader();
        var details = new List<string>();
        while (reader.Read())
        {
            details.Add(reader.GetString(reader.GetOrdinal("detail")));
        }

        return details;
    }

    /// <summary>Deletes this test's file; the next test gets a new one.</summary>
    public void Delete()
    {
        _dir?.Delete(recursive: true);
        _dir = null;
    }
}
