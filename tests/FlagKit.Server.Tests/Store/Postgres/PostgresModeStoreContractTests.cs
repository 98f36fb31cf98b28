using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;
using Npgsql;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The mode store contract against the PostgreSQL store (a new database per test on the run's throwaway cluster).</summary>
public sealed class PostgresModeStoreContractTests : ModeStoreContractTests
{
    private string? _connectionString;

    private string ConnectionString => _connectionString ??= PostgresSetUp.Cluster.CreateDatabase("modes");

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
