using System.Data.Common;
using System.Text;
using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>
/// What every store must do with operating modes, against each implementation (<see cref="SqliteModeStoreContractTests"/>,
/// <see cref="Postgres.PostgresModeStoreContractTests"/>): versions, the stale-version refusal, history and audit in the
/// same transaction, immutable history, and durability across a reopen.
/// </summary>
public abstract class ModeStoreContractTests : StoreContractFixture
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    [Test]
    public void LoadModes_NeverChanged_IsNull()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod"));

        Assert.That(store.LoadModes(env.Id), Is.Null);
        Assert.That(store.GetModeHistory(env.Id, 10), Is.Empty);
    }

    [Test]
    public void CommitModes_TwoChanges_StoresLatestWithHistoryAndAudit()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod"));

        store.CommitModes(Commit(env.Id, 0, "v1"));
        store.CommitModes(Commit(env.Id, 1, "v2"));

        var modes = store.LoadModes(env.Id)!;
        Assert.That((modes.Version, Encoding.UTF8.GetString(modes.Json), modes.UpdatedBy), Is.EqualTo((2L, "v2", "alice")));
        var history = store.GetModeHistory(env.Id, 10);
        Assert.That(history.Select(h => h.Version), Is.EqualTo(new[] { 2L, 1L }));
        Assert.That(Encoding.UTF8.GetString(history[0].Before!), Is.EqualTo("v1"));
        Assert.That(history[1].Before, Is.Null);
        Assert.That(history[0].Summary, Is.EqualTo("summary v2"));
        Assert.That(store.GetAudit("prod", 10).Where(a => a.Action == "SetModeSwitch").Select(a => a.Detail), Is.EqualTo(new[] { "detail v2", "detail v1" }));
    }

    [Test]
    public void CommitModes_StaleVersion_IsRefusedAndStoresNothing()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod"));
        store.CommitModes(Commit(env.Id, 0, "v1"));

        Assert.Throws<ModeVersionConflictException>(() => store.CommitModes(Commit(env.Id, 0, "other first")));
        Assert.Throws<ModeVersionConflictException>(() => store.CommitModes(Commit(env.Id, 5, "from the future")));

        Assert.That(store.LoadModes(env.Id)!.Version, Is.EqualTo(1));
        Assert.That(store.GetModeHistory(env.Id, 10), Has.Count.EqualTo(1));
        Assert.That(store.GetAudit("prod", 10).Count(a => a.Action == "SetModeSwitch"), Is.EqualTo(1));
    }

    [Test]
    public void ModeHistory_UpdateOrDelete_IsRefused()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit("prod"));
        store.CommitModes(Commit(env.Id, 0, "v1"));

        Assert.Throws(Is.InstanceOf<DbException>(), () => ExecuteRaw("UPDATE mode_history SET summary = 'forged'"));
        Assert.Throws(Is.InstanceOf<DbException>(), () => ExecuteRaw("DELETE FROM mode_history"));
        Assert.That(store.GetModeHistory(env.Id, 10).Single().Summary, Is.EqualTo("summary v1"));
    }

    [Test]
    public void LoadModes_AfterReopen_KeepsTheCommittedModes()
    {
        var first = Open();
        var env = first.CreateEnvironment("prod", Audit("prod"));
        first.CommitModes(Commit(env.Id, 0, "v1"));
        Close(first);

        var again = Open();

        Assert.That(Encoding.UTF8.GetString(again.LoadModes(env.Id)!.Json), Is.EqualTo("v1"));
    }

    /// <summary>Runs raw SQL against the store's database.</summary>
    protected abstract void ExecuteRaw(string sql);

    private static AuditRecord Audit(string environment, string action = "CreateEnvironment", string detail = "") =>
        new(0, T0, "alice", action, environment, environment, 0, detail);

    private static ModeCommit Commit(long environmentId, long from, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var time = T0.AddMinutes(from);
        return new ModeCommit(
            environmentId, from, new ModeRecord(from + 1, bytes, time, "alice"),
            new ModeHistoryRecord(from + 1, "SetModeSwitch", "alice", "why", time, "summary " + json, from == 0 ? null : Encoding.UTF8.GetBytes("v" + from), bytes),
            Audit("prod", "SetModeSwitch", "detail " + json));
    }
}
