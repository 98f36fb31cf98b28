using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>The history storage contract against the SQLite store (a temp file per test).</summary>
public sealed class SqliteHistoryStorageContractTests : HistoryStorageContractTests
{
    private readonly SqliteTestStore _store = new("flagkit-history-");

    /// <inheritdoc />
    private protected override IFlagStore OpenStore() => _store.Open();

    /// <inheritdoc />
    protected override void ExecuteRaw(string sql) => _store.ExecuteRaw(sql);

    /// <inheritdoc />
    protected override object? ScalarRaw(string sql) => _store.ScalarRaw(sql);

    /// <inheritdoc />
    protected override string Bytes(string text) => $"CAST('{text}' AS BLOB)";

    /// <inheritdoc />
    protected override void DeleteLocation() => _store.Delete();

    [TestCase(StoreHistorySql.Insert, TestName = "PreviousRow_OnInsert_FoundByTheKeyIndex")]
    [TestCase("SELECT " + StoreHistorySql.Columns + " FROM history h WHERE h.env_id = 1", TestName = "PreviousRow_OnRead_FoundByTheKeyIndex")]
    public void PreviousRow_Lookup_FoundByTheKeyIndex(string sql)
    {
        // Found by (env, kind, key, revision) in one descent; going by (env_id, revision) scanned every row of the
        // previous revision, 10 000 after a seed write (a one-flag write at 10 000 flags took 6 ms instead of 2.2).
        using (OpenStore())
        {
        }

        var plan = _store.QueryPlan(sql);

        Assert.That(plan.Where(d => d.StartsWith("SEARCH p ", StringComparison.Ordinal)), Is.Not.Empty.And.All.Contains("USING INDEX history_by_key"), string.Join("\n", plan));
    }
}
