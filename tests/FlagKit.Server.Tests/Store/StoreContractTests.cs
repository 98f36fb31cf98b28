using System.Data.Common;
using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>
/// What every store must do, run against each implementation (<see cref="SqliteStoreContractTests"/>,
/// <see cref="Postgres.PostgresStoreContractTests"/>): documents, revisions, commit with history and audit, idempotency
/// keys, API keys, immutable history and audit, and migrations on an empty and on an existing database.
/// </summary>
public abstract class StoreContractTests : StoreContractFixture
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    /// <summary>The schema version a fresh store must report.</summary>
    protected abstract int ExpectedSchemaVersion { get; }

    [Test]
    public void Open_EmptyDatabase_MigratesToCurrentVersion()
    {
        var store = Open();

        Assert.That(store.ReadSchemaVersion(), Is.EqualTo(ExpectedSchemaVersion));
        Assert.That(store.Ping(), Is.True);
        Assert.That(store.LoadEnvironments(), Is.Empty);
    }

    [Test]
    public void Open_ExistingDatabase_ReRunsMigrationsAsNoOpAndKeepsData()
    {
        var first = Open();
        var env = first.CreateEnvironment("prod", Audit("prod", 0));
        first.Commit(Batch(env.Id, 0, Doc("a", 1, 1)), T0);
        Close(first);

        var again = Open();

        Assert.That(again.ReadSchemaVersion(), Is.EqualTo(ExpectedSchemaVersion));
        Assert.That(again.LoadEnvironments().Single(), Is.EqualTo(env with { Revision = 1 }));
        Assert.That(again.LoadDocuments(env.Id).Single().Key, Is.EqualTo("a"));
    }

    [Test]
    public void CreateEnvironment_NewName_StartsAtRevisionZeroWithAuditRow()
    {
        var store = Open();

        var env = store.CreateEnvironment("prod", Audit("prod", 0, "CreateEnvironment"));

        Assert.That(store.LoadEnvironments(), Is.EqualTo(new[] { env }));
        Assert.That((env.Name, env.Revision, env.CreatedAt), Is.EqualTo(("prod", 0L, T0)));
        Assert.That(store.GetAudit("prod", 10).Single().Action, Is.EqualTo("CreateEnvironment"));
    }

    [Test]
    public void CreateEnvironment_ExistingName_ThrowsAndKeepsOne()
    {
        var store = Open();
        store.CreateEnvironment("prod", Audit("prod", 0));

        Assert.That(() => store.CreateEnvironment("prod", Audit("prod", 0)), Throws.InstanceOf<DbException>());
        Assert.That(store.LoadEnvironments(), Has.Count.EqualTo(1));
        Assert.That(store.GetAudit("", 10), Has.Count.EqualTo(1));
    }

    [Test]
    public void Commit_NextRevision_StoresDocumentsHistoryAuditAndRevision()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));

        store.Commit(Batch(env.Id, 0, Doc("a", 1, 1), Doc("b", 1, 1, DocumentKind.Segment)), T0);

        Assert.That(store.LoadEnvironments().Single().Revision, Is.EqualTo(1));
        var docs = store.LoadDocuments(env.Id).OrderBy(d => d.Key).ToList();
        Assert.That(docs.Select(d => (d.Kind, d.Key, Encoding.UTF8.GetString(d.Json), d.Version, d.Revision, d.Archived)), Is.EqualTo(new[]
        {
            (DocumentKind.Flag, "a", "{\"key\":\"a\",\"v\":1}", 1L, 1L, false),
            (DocumentKind.Segment, "b", "{\"key\":\"b\",\"v\":1}", 1L, 1L, false),
        }));
        Assert.That(docs[0].UpdatedAt, Is.EqualTo(T0));
        var history = store.GetHistory(env.Id, null, 10, 0);
        Assert.That(history.Select(h => (h.Revision, h.Key, h.Action, h.Operation)), Is.EqualTo(new[] { (1L, "b", "created", "put"), (1L, "a", "created", "put") }));
        Assert.That(history[1].Before, Is.Null);
        Assert.That(history[1].After, Is.EqualTo(docs[0].Json));
        Assert.That(store.GetAudit("prod", 10).Select(a => (a.Action, a.Revision)), Is.EqualTo(new[] { ("Commit", 1L), ("Audit", 0L) }));
    }

    [Test]
    public void Commit_StaleExpectedRevision_ThrowsRevisionConflictAndStoresNothing()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Doc("a", 1, 1)), T0);

        var error = Assert.Throws<RevisionConflictException>(() => store.Commit(Batch(env.Id, 0, Doc("a", 2, 1)), T0));

        Assert.That(error!.ExpectedRevision, Is.EqualTo(0));
        Assert.That(store.LoadEnvironments().Single().Revision, Is.EqualTo(1));
        Assert.That(store.LoadDocuments(env.Id).Single().Version, Is.EqualTo(1));
        Assert.That(store.GetHistory(env.Id, null, 10, 0), Has.Count.EqualTo(1));
        Assert.That(store.GetAudit("prod", 10), Has.Count.EqualTo(2));
    }

    [Test]
    public void Commit_LaterVersions_ReplaceDocumentWhileHistoryRebuildsEveryRevision()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Doc("a", 1, 1), Doc("b", 1, 1)), T0);
        store.Commit(Batch(env.Id, 1, Doc("a", 2, 2)), T0);
        store.Commit(Batch(env.Id, 2, Doc("b", 2, 3) with { Archived = true }), T0);

        Assert.That(store.LoadDocuments(env.Id).OrderBy(d => d.Key).Select(d => (d.Key, d.Version, d.Archived)), Is.EqualTo(new[] { ("a", 2L, false), ("b", 2L, true) }));
        Assert.That(store.GetHistory(env.Id, "a", 10, 0).Select(h => h.Revision), Is.EqualTo(new[] { 2L, 1L }));
        Assert.That(store.GetHistory(env.Id, null, 10, 3).Select(h => h.Revision), Is.EqualTo(new[] { 2L, 1L, 1L }));
        Assert.That(store.GetHistory(env.Id, null, 1, 0).Single().Key, Is.EqualTo("b"));
        var atOne = store.GetStateAt(env.Id, 1).OrderBy(h => h.Key).ToList();
        Assert.That(atOne.Select(h => (h.Key, h.Revision)), Is.EqualTo(new[] { ("a", 1L), ("b", 1L) }));
        var atThree = store.GetStateAt(env.Id, 3).OrderBy(h => h.Key).ToList();
        Assert.That(atThree.Select(h => (h.Key, h.Revision, h.After is null)), Is.EqualTo(new[] { ("a", 2L, false), ("b", 3L, true) }));
    }

    [Test]
    public void Commit_WithIdempotencyKey_StoresAnswerUnderEnvironmentAndKey()
    {
        var store = Open();
        var prod = store.CreateEnvironment("prod", Audit("prod", 0));
        var dev = store.CreateEnvironment("dev", Audit("dev", 0));

        store.Commit(Batch(prod.Id, 0, Doc("a", 1, 1)) with { IdempotencyKey = "k1", Answer = Answer("first") }, T0);

        Assert.That(Encoding.UTF8.GetString(store.FindIdempotent(prod.Id, "k1")!.Response), Is.EqualTo("first"));
        Assert.That(store.FindIdempotent(dev.Id, "k1"), Is.Null);
        store.Commit(Batch(dev.Id, 0, Doc("a", 1, 1)) with { IdempotencyKey = "k1", Answer = Answer("dev") }, T0);
        Assert.That(Encoding.UTF8.GetString(store.FindIdempotent(dev.Id, "k1")!.Response), Is.EqualTo("dev"));
    }

    [Test]
    public void Commit_KeyAlreadyStored_ThrowsWithStoredAnswerAndStoresNothing()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Doc("a", 1, 1)) with { IdempotencyKey = "k1", Answer = Answer("first") }, T0);

        var error = Assert.Throws<IdempotencyKeyTakenException>(
            () => store.Commit(Batch(env.Id, 1, Doc("a", 2, 2)) with { IdempotencyKey = "k1", Answer = Answer("second") }, T0));

        Assert.That(Encoding.UTF8.GetString(error!.Stored.Response), Is.EqualTo("first"));
        Assert.That(store.LoadEnvironments().Single().Revision, Is.EqualTo(1));
        Assert.That(store.LoadDocuments(env.Id).Single().Version, Is.EqualTo(1));
        Assert.That(store.GetHistory(env.Id, null, 10, 0), Has.Count.EqualTo(1));
    }

    [Test]
    public void Commit_KeyPastRetention_PrunesItAndTakesItAfresh()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Doc("a", 1, 1)) with { IdempotencyKey = "k1", Answer = Answer("first") }, T0);

        store.Commit(Batch(env.Id, 1, Doc("a", 2, 2), time: T0.AddDays(8)) with { IdempotencyKey = "k1", Answer = Answer("later") }, T0.AddDays(1));

        Assert.That(Encoding.UTF8.GetString(store.FindIdempotent(env.Id, "k1")!.Response), Is.EqualTo("later"));
    }

    [Test]
    public void StoreIdempotent_SameKeyTwice_KeepsFirstAnswer()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));

        store.StoreIdempotent(env.Id, "k", Answer("first"), T0);
        store.StoreIdempotent(env.Id, "k", Answer("second"), T0);

        var stored = store.FindIdempotent(env.Id, "k")!;
        Assert.That((Encoding.UTF8.GetString(stored.RequestHash), Encoding.UTF8.GetString(stored.Response)), Is.EqualTo(("hash-first", "first")));
        Assert.That(store.FindIdempotent(env.Id, "other"), Is.Null);
    }

    [Test]
    public void ApiKeys_InsertAndRevoke_KeptWithAuditRows()
    {
        var store = Open();
        var sdk = new ApiKeyRecord("id-1", "game", ApiKeyRole.Sdk, "prod", [1, 2, 3], "fk_sdk_ab", T0, null);
        var admin = new ApiKeyRecord("id-2", "ops", ApiKeyRole.Admin, null, [4, 5, 6], "fk_adm_cd", T0.AddSeconds(1), null);

        store.InsertApiKey(sdk, Audit("", 0, "CreateApiKey"));
        store.InsertApiKey(admin, Audit("", 0, "CreateApiKey"));
        var revoked = store.RevokeApiKey("id-1", Audit("", 0, "RevokeApiKey") with { Time = T0.AddMinutes(1) });
        var again = store.RevokeApiKey("id-1", Audit("", 0, "RevokeApiKey"));

        Assert.That((revoked, again), Is.EqualTo((true, false)));
        var keys = store.LoadApiKeys();
        Assert.That(keys.Select(k => (k.Id, k.Name, k.Role, k.Environment, k.Prefix, k.CreatedAt)), Is.EqualTo(new[]
        {
            ("id-1", "game", ApiKeyRole.Sdk, (string?)"prod", "fk_sdk_ab", T0),
            ("id-2", "ops", ApiKeyRole.Admin, (string?)null, "fk_adm_cd", T0.AddSeconds(1)),
        }));
        Assert.That(keys[0].Hash, Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That((keys[0].RevokedAt, keys[1].RevokedAt), Is.EqualTo(((DateTimeOffset?)T0.AddMinutes(1), (DateTimeOffset?)null)));
        Assert.That(store.GetAudit("", 10).Select(a => a.Action), Is.EqualTo(new[] { "RevokeApiKey", "CreateApiKey", "CreateApiKey" }));
    }

    [Test]
    public void ApiKeys_SameHashTwice_Refused()
    {
        var store = Open();
        store.InsertApiKey(new ApiKeyRecord("id-1", "a", ApiKeyRole.Admin, null, [9], "p", T0, null), Audit("", 0));

        Assert.That(() => store.InsertApiKey(new ApiKeyRecord("id-2", "b", ApiKeyRole.Admin, null, [9], "p", T0, null), Audit("", 0)), Throws.InstanceOf<DbException>());
        Assert.That(store.LoadApiKeys(), Has.Count.EqualTo(1));
    }

    [TestCase("UPDATE history SET author = 'someone else'")]
    [TestCase("DELETE FROM history")]
    [TestCase("UPDATE audit SET actor = 'someone else'")]
    [TestCase("DELETE FROM audit")]
    public void HistoryAndAudit_ChangedAfterCommit_RefusedByDatabase(string sql)
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod", 0));
        store.Commit(Batch(env.Id, 0, Doc("a", 1, 1)), T0);

        Assert.That(() => ExecuteRaw(sql), Throws.InstanceOf<DbException>().With.Message.Contains("immutable"));
        Assert.That(store.GetHistory(env.Id, null, 10, 0).Single().Author, Is.EqualTo("alice"));
        Assert.That(store.GetAudit("prod", 10).Select(a => a.Actor), Is.All.EqualTo("alice"));
    }

    /// <summary>Runs SQL directly against the test's database, outside the store.</summary>
    /// <param name="sql">The statement.</param>
    protected abstract void ExecuteRaw(string sql);

    /// <summary>A write of <paramref name="documents"/> from <paramref name="from"/> to the next revision.</summary>
    private static CommitBatch Batch(long envId, long from, StoredDocument first, StoredDocument? second = null, DateTimeOffset? time = null)
    {
        var at = time ?? T0;
        var docs = second is null ? new[] { first } : [first, second];
        var history = docs.Select(d => new HistoryRecord(
            from + 1, d.Kind, d.Key, d.Version == 1 ? "created" : d.Archived ? "archived" : "updated", "alice", "why", at,
            d.Version == 1 ? null : Encoding.UTF8.GetBytes("{}"), d.Archived ? null : d.Json, $"{d.Key} changed", "put")).ToList();
        return new CommitBatch(envId, from, from + 1, docs, history, Audit("prod", from + 1, "Commit") with { Time = at }, null, null);
    }

    /// <summary>A flag (or segment) document at a version and revision.</summary>
    private static StoredDocument Doc(string key, long version, long revision, DocumentKind kind = DocumentKind.Flag) =>
        new(kind, key, Encoding.UTF8.GetBytes($"{{\"key\":\"{key}\",\"v\":{version}}}"), version, revision, T0, "alice", false);

    /// <summary>An audit row by alice.</summary>
    private static AuditRecord Audit(string env, long revision, string action = "Audit") => new(0, T0, "alice", action, env, env, revision, "detail");

    /// <summary>An idempotent answer whose hash is <c>hash-</c> + the answer.</summary>
    private static IdempotentAnswer Answer(string text) => new(Encoding.UTF8.GetBytes("hash-" + text), Encoding.UTF8.GetBytes(text));
}
