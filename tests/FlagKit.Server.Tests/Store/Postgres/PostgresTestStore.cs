using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;
using Npgsql;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>
/// The PostgreSQL side of a store contract suite: a new database per test on the run's throwaway cluster, opened as
/// the server opens it, raw SQL for injecting faults. Each area's PostgreSQL subclass delegates to one of these.
/// </summary>
/// <param name="name">The database name's prefix.</param>
internal sealed class PostgresTestStore(string name)
{
    private string? _connectionString;

    private string ConnectionString => _connectionString ??= PostgresSetUp.Cluster.CreateDatabase(name);

    /// <summary>Opens (and migrates) the store on this test's database.</summary>
    public IFlagStore Open() => PostgresFlagStore.Open(ConnectionString, DateTimeOffset.UnixEpoch);

    /// <summary>Runs SQL on the database, beside the store.</summary>
    public void ExecuteRaw(string sql)
    {
        using var c = new NpgsqlConnection(ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Runs a query on the database, beside the store, and returns its single value.</summary>
    public object? ScalarRaw(string sql)
    {
        using var c = new NpgsqlConnection(ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return cmd.ExecuteScalar();
    }

    /// <summary>Forgets this test's database; the next test gets a new one.</summary>
    public void Delete() => _connectionString = null;
}
