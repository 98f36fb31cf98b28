using System.Globalization;
using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>
/// A history row stores its <c>before</c> only when it differs from the document's previous <c>after</c> (a big edit
/// used to store the document three times: the document row, before and after), and every history read still returns
/// both documents whole. Run against each store (<see cref="SqliteHistoryStorageContractTests"/>,
/// <see cref="Postgres.PostgresHistoryStorageContractTests"/>).
/// </summary>
public abstract class HistoryStorageContractTests : StoreContractFixture
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    [Test]
    public void Commit_EditsOfADocument_StoreEachBeforeOnlyAsThePreviousAfter()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));

        store.Commit(Batch(env.Id, 0, Row("a", null, "a1")), T0);
        store.Commit(Batch(env.Id, 1, Row("a", "a1", "a2")), T0);
        store.Commit(Batch(env.Id, 2, Row("a", "a2", "a3")), T0);

        Assert.That(Count("SELECT COUNT(*) FROM history WHERE before_json IS NOT NULL"), Is.Zero);
        Assert.That(Count("SELECT COUNT(*) FROM history WHERE after_json IS NOT NULL"), Is.EqualTo(3));
        Assert.That(Texts(store.GetHistory(env.Id, null, 10, 0)), Is.EqualTo(new[] { "3 a: a2 → a3", "2 a: a1 → a2", "1 a: - → a1" }));
    }

    [Test]
    public void GetHistory_OneRowOfAKey_PutsBeforeBackFromARowNotAsked()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Row("a", null, "a1"), Row("b", null, "b1")), T0);
        store.Commit(Batch(env.Id, 1, Row("b", "b1", "b2")), T0);
        store.Commit(Batch(env.Id, 2, Row("a", "a1", "a2"), Row("b", "b2", "b3")), T0);

        Assert.That(Texts(store.GetHistory(env.Id, "a", 1, 0)), Is.EqualTo(new[] { "3 a: a1 → a2" }));
        Assert.That(Texts(store.GetHistory(env.Id, "b", 1, 3)), Is.EqualTo(new[] { "2 b: b1 → b2" }));
        Assert.That(Texts(store.GetHistory(env.Id, null, 2, 0)), Is.EqualTo(new[] { "3 b: b2 → b3", "3 a: a1 → a2" }));
    }

    [Test]
    public void Commit_BeforeNotThePreviousAfter_StoredAsGiven()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Row("a", null, "a1")), T0);

        store.Commit(Batch(env.Id, 1, Row("a", "other", "a2")), T0);

        Assert.That(Count("SELECT COUNT(*) FROM history WHERE before_json IS NOT NULL"), Is.EqualTo(1));
        Assert.That(Texts(store.GetHistory(env.Id, null, 10, 0)), Is.EqualTo(new[] { "2 a: other → a2", "1 a: - → a1" }));
    }

    [Test]
    public void Commit_ArchiveAndCreateAgain_BeforeAndAfterAsGiven()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Row("a", null, "a1")), T0);
        store.Commit(Batch(env.Id, 1, Row("a", "a1", null)), T0);

        store.Commit(Batch(env.Id, 2, Row("a", null, "a2")), T0);
        store.Commit(Batch(env.Id, 3, Row("a", "a2", "a3")), T0);

        Assert.That(Texts(store.GetHistory(env.Id, "a", 10, 0)), Is.EqualTo(new[] { "4 a: a2 → a3", "3 a: - → a2", "2 a: a1 → -", "1 a: - → a1" }));
        Assert.That(Count("SELECT COUNT(*) FROM history WHERE before_json IS NOT NULL"), Is.Zero);
    }

    [Test]
    public void GetHistory_SameKeyInAnotherEnvironmentAndKind_NeverLendsItsAfter()
    {
        var store = Open();
        var prod = store.CreateEnvironment("prod", Audit("prod", 0));
        var dev = store.CreateEnvironment("dev", Audit("dev", 0));
        store.Commit(Batch(prod.Id, 0, Row("a", null, "a1")), T0);
        store.Commit(Batch(dev.Id, 0, Row("a", null, "dev1")), T0);
        store.Commit(Batch(prod.Id, 1, Row("a", null, "seg1", DocumentKind.Segment)), T0);
        store.Commit(Batch(dev.Id, 1, Row("a", "dev1", "dev2")), T0);

        store.Commit(Batch(prod.Id, 2, Row("a", "a1", "a2")), T0);

        Assert.That(Texts(store.GetHistory(prod.Id, "a", 10, 0)), Is.EqualTo(new[] { "3 a: a1 → a2", "2 a: - → seg1", "1 a: - → a1" }));
        Assert.That(Texts(store.GetHistory(dev.Id, "a", 10, 0)), Is.EqualTo(new[] { "2 a: dev1 → dev2", "1 a: - → dev1" }));
    }

    [Test]
    public void GetStateAt_RowsWhoseBeforeWasLeftOut_ReturnBeforeWhole()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Row("a", null, "a1"), Row("b", null, "b1")), T0);
        store.Commit(Batch(env.Id, 1, Row("a", "a1", "a2")), T0);
        store.Commit(Batch(env.Id, 2, Row("a", "a2", "a3"), Row("b", "b1", null)), T0);

        Assert.That(Texts(store.GetStateAt(env.Id, 2).OrderBy(h => h.Key)), Is.EqualTo(new[] { "2 a: a1 → a2", "1 b: - → b1" }));
        Assert.That(Texts(store.GetStateAt(env.Id, 3).OrderBy(h => h.Key)), Is.EqualTo(new[] { "3 a: a2 → a3", "3 b: b1 → -" }));
    }

    [Test]
    public void GetHistory_RowWrittenBeforeTheSchemaLeftNothingOut_ReadAsStored()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Row("a", null, "a1")), T0);
        // What an older server wrote: no before_is_previous column, so the column's default; before stored whole.
        ExecuteRaw(string.Create(CultureInfo.InvariantCulture, $"""
            INSERT INTO history (env_id, revision, seq, kind, key, action, author, comment, time, before_json, after_json, summary, operation)
            VALUES ({env.Id}, 2, 0, 1, 'a', 'updated', 'ops', '', 0, {Bytes("a1")}, {Bytes("a2")}, 's', 'put');
            UPDATE environments SET revision = 2 WHERE id = {env.Id};
            """));

        store.Commit(Batch(env.Id, 2, Row("a", "a2", "a3")), T0);

        Assert.That(Texts(store.GetHistory(env.Id, "a", 10, 0)), Is.EqualTo(new[] { "3 a: a2 → a3", "2 a: a1 → a2", "1 a: - → a1" }));
        Assert.That(Count("SELECT COUNT(*) FROM history WHERE before_json IS NOT NULL"), Is.EqualTo(1));
    }

    /// <summary>Runs SQL directly against the test's database, outside the store.</summary>
    /// <param name="sql">The statement.</param>
    protected abstract void ExecuteRaw(string sql);

    /// <summary>Runs a query directly against the test's database and returns its single value.</summary>
    /// <param name="sql">The query.</param>
    /// <returns>The value.</returns>
    protected abstract object? ScalarRaw(string sql);

    /// <summary>A literal of the database's byte type holding <paramref name="text"/> (ASCII without quotes).</summary>
    /// <param name="text">The bytes, as text.</param>
    /// <returns>SQL.</returns>
    protected abstract string Bytes(string text);

    private long Count(string sql) => Convert.ToInt64(ScalarRaw(sql), CultureInfo.InvariantCulture);

    /// <summary>"revision key: before → after", with <c>-</c> for none.</summary>
    private static IEnumerable<string> Texts(IEnumerable<HistoryRecord> rows) =>
        rows.Select(h => string.Create(CultureInfo.InvariantCulture, $"{h.Revision} {h.Key}: {Text(h.Before)} → {Text(h.After)}"));

    private static string Text(byte[]? json) => json is null ? "-" : Encoding.UTF8.GetString(json);

    /// <summary>One document's history row (the revision is set by <see cref="Batch"/>).</summary>
    private static HistoryRecord Row(string key, string? before, string? after, DocumentKind kind = DocumentKind.Flag) =>
        new(0, kind, key, before is null ? "created" : after is null ? "archived" : "updated", "alice", "why", T0,
            before is null ? null : Encoding.UTF8.GetBytes(before), after is null ? null : Encoding.UTF8.GetBytes(after), "summary", "put");

    /// <summary>A write from <paramref name="from"/> to the next revision: the rows and their documents.</summary>
    private static CommitBatch Batch(long envId, long from, params HistoryRecord[] rows)
    {
        var history = rows.Select(r => r with { Revision = from + 1 }).ToList();
        var documents = history.Select(r => new StoredDocument(r.Kind, r.Key, r.After ?? r.Before!, from + 1, from + 1, T0, "alice", r.After is null)).ToList();
        return new CommitBatch(envId, from, from + 1, documents, history, Audit("prod", from + 1), null, null);
    }

    private static AuditRecord Audit(string env, long revision) => new(0, T0, "alice", "Commit", env, env, revision, "detail");
}
