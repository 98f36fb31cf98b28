using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The schedule and freeze store contract against the PostgreSQL store (a new database per test on the run's cluster).</summary>
public sealed class PostgresScheduleStoreContractTests : ScheduleStoreContractTests
{
    private string? _connectionString;

    private string ConnectionString => _connectionString ??= PostgresSetUp.Cluster.CreateDatabase("schedule");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => PostgresFlagStore.Open(ConnectionString, DateTimeOffset.UnixEpoch);

    /// <inheritdoc />
    protected override void DeleteLocation() => _connectionString = null;
}
