using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The schedule and freeze store contract against the PostgreSQL store (a new database per test on the run's throwaway cluster).</summary>
public sealed class PostgresScheduleStoreContractTests : ScheduleStoreContractTests
{
    private readonly PostgresTestStore _store = new("schedule");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
