using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;
using Npgsql;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The release store contract against the PostgreSQL store (a new database per test on the run's throwaway cluster).</summary>
public sealed class ReleaseStorePostgresTests : ReleaseStoreContractTests
{
    private string? _connectionString;

    private string ConnectionString => _connectionString ??= PostgresSetUp.Cluster.CreateDatabase("release");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => PostgresFlagStore.Open(ConnectionString, DateTimeOffset.UnixEpoch);

    /// <inheritdoc />
    protected override void ExecuteRaw(string sql)
    {
        using var c = new NpgsqlConnection(ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    protected override void DeleteLocation() => _connectionString = null;
}
