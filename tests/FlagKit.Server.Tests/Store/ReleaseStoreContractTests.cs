using System.Data.Common;
using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>
/// What every store must do for guarded releases, run against each implementation (<see cref="ReleaseStoreSqliteTests"/>,
/// <see cref="Postgres.ReleaseStorePostgresTests"/>): one active release per flag per environment, state saved with its
/// events in order, immutable events, active releases reloaded after a reopen.
/// </summary>
public abstract class ReleaseStoreContractTests : StoreContractFixture
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    [Test]
    public void CreateRelease_NewFlag_StoredActiveWithItsStartedEvent()
    {
        var store = Open();
        var env = Env(store, "prod");

        var created = store.CreateRelease(Release(env, "checkout"), Event("started", 1));

        Assert.That(created.Id, Is.GreaterThan(0));
        Assert.That(store.GetRelease(created.Id), Is.EqualTo(created));
        Assert.That(created, Is.EqualTo(Release(env, "checkout") with { Id = created.Id }));
        Assert.That(store.GetReleaseEvents(created.Id, 10), Is.EqualTo(new[] { Event("started", 1) }));
        Assert.That(store.GetRelease(created.Id + 1000), Is.Null);
    }

    [Test]
    public void CreateRelease_FlagWithActiveRelease_RefusedNamingItAndStoresNothing()
    {
        var store = Open();
        var env = Env(store, "prod");
        var first = store.CreateRelease(Release(env, "checkout"), Event("started", 1));

        var error = Assert.Throws<ReleaseAlreadyActiveException>(() => store.CreateRelease(Release(env, "checkout"), Event("started", 1)));

        Assert.That(error!.ActiveId, Is.EqualTo(first.Id));
        Assert.That(error.Message, Does.Contain("'checkout'").And.Contain($"({first.Id})"));
        Assert.That(store.ListReleases(env, "checkout", 10), Has.Count.EqualTo(1));
    }

    [Test]
    public void CreateRelease_PausedReleaseOfTheFlag_StillRefused()
    {
        var store = Open();
        var env = Env(store, "prod");
        var first = store.CreateRelease(Release(env, "checkout"), Event("started", 1));
        store.SaveRelease(first.Id, "paused", active: true, "{\"paused\":1}", T0.AddMinutes(1), Event("paused", 1));

        Assert.Throws<ReleaseAlreadyActiveException>(() => store.CreateRelease(Release(env, "checkout"), Event("started", 1)));
    }

    [Test]
    public void CreateRelease_AfterTheActiveOneEnded_AllowedAndOtherFlagsAndEnvironmentsNeverBlocked()
    {
        var store = Open();
        var prod = Env(store, "prod");
        var staging = Env(store, "staging");
        var first = store.CreateRelease(Release(prod, "checkout"), Event("started", 1));
        var otherFlag = store.CreateRelease(Release(prod, "search"), Event("started", 1));
        var otherEnv = store.CreateRelease(Release(staging, "checkout"), Event("started", 1));

        store.SaveRelease(first.Id, "rolledback", active: false, "{}", T0.AddMinutes(3), Event("rolledback", 0));
        var second = store.CreateRelease(Release(prod, "checkout"), Event("started", 1));

        Assert.That(new[] { first.Id, otherFlag.Id, otherEnv.Id, second.Id }, Is.Unique);
        Assert.That(store.ListReleases(prod, "checkout", 10).Select(r => (r.Id, r.Active)), Is.EqualTo(new[] { (second.Id, true), (first.Id, false) }), "newest first");
        Assert.That(store.ListReleases(prod, null, 10).Select(r => r.Flag), Is.EqualTo(new[] { "checkout", "search", "checkout" }));
    }

    [Test]
    public void SaveRelease_StateAndEvents_StoredTogetherEventsInOrder()
    {
        var store = Open();
        var env = Env(store, "prod");
        var release = store.CreateRelease(Release(env, "checkout"), Event("started", 1));

        store.SaveRelease(release.Id, "running", active: true, "{\"step\":0}", T0.AddSeconds(10), appended: null);
        store.SaveRelease(release.Id, "running", active: true, "{\"step\":1}", T0.AddMinutes(5), Event("advanced", 5));
        store.SaveRelease(release.Id, "completed", active: false, "{\"step\":4}", T0.AddMinutes(20), Event("completed", 100));

        var saved = store.GetRelease(release.Id)!;
        Assert.That((saved.Status, saved.Active, saved.StateJson, saved.UpdatedAt, saved.CreatedAt), Is.EqualTo(("completed", false, "{\"step\":4}", T0.AddMinutes(20), T0)));
        Assert.That(store.GetReleaseEvents(release.Id, 10).Select(e => (e.Kind, e.Percent)), Is.EqualTo(new[] { ("started", 1), ("advanced", 5), ("completed", 100) }));
        Assert.That(store.GetReleaseEvents(release.Id, 2).Select(e => e.Kind), Is.EqualTo(new[] { "advanced", "completed" }), "the newest, oldest first");
    }

    [Test]
    public void SaveRelease_UnknownId_ThrowsAndStoresNoEvent()
    {
        var store = Open();

        Assert.Throws<KeyNotFoundException>(() => store.SaveRelease(404, "running", true, "{}", T0, Event("advanced", 5)));
        Assert.That(store.GetReleaseEvents(404, 10), Is.Empty);
    }

    [Test]
    public void LoadActiveReleases_AfterReopen_OnlyRunningAndPausedOldestFirst()
    {
        var store = Open();
        var env = Env(store, "prod");
        var running = store.CreateRelease(Release(env, "a"), Event("started", 1));
        var ended = store.CreateRelease(Release(env, "b"), Event("started", 1));
        var paused = store.CreateRelease(Release(env, "c"), Event("started", 1));
        store.SaveRelease(ended.Id, "completed", active: false, "{}", T0, Event("completed", 100));
        store.SaveRelease(paused.Id, "paused", active: true, "{\"p\":1}", T0, Event("paused", 1));
        Close(store);

        var again = Open();

        Assert.That(again.LoadActiveReleases().Select(r => (r.Id, r.Status)), Is.EqualTo(new[] { (running.Id, "running"), (paused.Id, "paused") }));
        Assert.That(again.GetRelease(paused.Id)!.StateJson, Is.EqualTo("{\"p\":1}"));
    }

    [Test]
    public void ReleaseEvents_UpdateOrDelete_RefusedByTheDatabase()
    {
        var store = Open();
        var env = Env(store, "prod");
        store.CreateRelease(Release(env, "checkout"), Event("started", 1));

        Assert.That(() => ExecuteRaw("UPDATE release_events SET summary = 'rewritten'"), Throws.InstanceOf<DbException>());
        Assert.That(() => ExecuteRaw("DELETE FROM release_events"), Throws.InstanceOf<DbException>());
        Assert.That(store.GetReleaseEvents(1, 10).Single().Summary, Is.EqualTo("started at 1 %"));
    }

    /// <summary>Runs SQL directly against the test's database, outside the store.</summary>
    /// <param name="sql">The statement.</param>
    protected abstract void ExecuteRaw(string sql);

    private static long Env(IFlagStore store, string name) =>
        store.CreateEnvironment(name, new AuditRecord(0, T0, "alice", "CreateEnvironment", name, name, 0, "")).Id;

    private static StoredRelease Release(long env, string flag) =>
        new(0, env, flag, "running", true, "{\"flag\":\"" + flag + "\"}", "alice", T0, T0);

    private static ReleaseEventRecord Event(string kind, int percent) =>
        new(T0, kind, "release:1", percent, kind == "started" ? "started at 1 %" : $"{kind} at {percent} %");
}
