using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>The schedule and freeze store contract against the SQLite store (a temp file per test).</summary>
public sealed class SqliteScheduleStoreContractTests : ScheduleStoreContractTests
{
    private readonly SqliteTestStore _store = new("flagkit-schedule-");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();
}
