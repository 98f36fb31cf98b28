using System.Collections.Concurrent;
using System.Text;
using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>
/// What every store must do for scheduled changes and freeze windows, run against SQLite
/// (<see cref="SqliteScheduleStoreContractTests"/>) and the real PostgreSQL cluster
/// (<see cref="Postgres.PostgresScheduleStoreContractTests"/>): the state machine (pending → claimed → applied | failed
/// | skipped; pending → cancelled), claims handed to one caller even from several stores at once, leases that run out,
/// and an audit row in the same transaction as each change.
/// </summary>
public abstract class ScheduleStoreContractTests : StoreContractFixture
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    [Test]
    public void AddSchedule_NewChange_PendingWithIdAndAuditRow()
    {
        var store = Open();

        var added = store.AddSchedule(Change(T0.AddHours(1)), Audit("ScheduleChange"));

        Assert.That(added.Id, Is.GreaterThan(0));
        Assert.That(store.GetSchedule(added.Id), Is.EqualTo(added).Using<ScheduledChangeRecord>(SameRow));
        Assert.That(store.GetSchedule(added.Id)!.State, Is.EqualTo(ScheduleStates.Pending));
        var audit = store.GetAudit("prod", 10).Single();
        Assert.That((audit.Action, audit.Target), Is.EqualTo(("ScheduleChange", $"schedule #{added.Id}")));
        Assert.That(store.GetSchedule(added.Id + 100), Is.Null);
    }

    [Test]
    public void ClaimDueSchedule_NotYetDue_ClaimsNothing()
    {
        var store = Open();
        store.AddSchedule(Change(T0.AddHours(1)), Audit());

        Assert.That(store.ClaimDueSchedule(T0.AddHours(1).AddMilliseconds(-1), Lease), Is.Null);
    }

    [Test]
    public void ClaimDueSchedule_Due_ClaimedOnceUntilTheLeaseRunsOut()
    {
        var store = Open();
        var due = T0.AddHours(1);
        var added = store.AddSchedule(Change(due), Audit());

        var first = store.ClaimDueSchedule(due, Lease);
        var during = store.ClaimDueSchedule(due + Lease - TimeSpan.FromMilliseconds(1), Lease);
        var after = store.ClaimDueSchedule(due + Lease, Lease);

        Assert.That((first?.Id, first?.State), Is.EqualTo(((long?)added.Id, ScheduleStates.Claimed)));
        Assert.That(during, Is.Null);
        Assert.That(after?.Id, Is.EqualTo(added.Id), "a claim whose lease ran out is claimed again");
    }

    [Test]
    public void ClaimDueSchedule_SeveralDue_EarliestFirst()
    {
        var store = Open();
        var late = store.AddSchedule(Change(T0.AddMinutes(2)), Audit());
        var early = store.AddSchedule(Change(T0.AddMinutes(1)), Audit());

        Assert.That(store.ClaimDueSchedule(T0.AddHours(1), Lease)!.Id, Is.EqualTo(early.Id));
        Assert.That(store.ClaimDueSchedule(T0.AddHours(1), Lease)!.Id, Is.EqualTo(late.Id));
        Assert.That(store.ClaimDueSchedule(T0.AddHours(1), Lease), Is.Null);
    }

    [Test]
    public async Task ClaimDueSchedule_TwoStoresClaimingAtOnce_EachChangeClaimedOnce()
    {
        var a = Open();
        var b = Open();
        const int Changes = 40;
        for (var i = 0; i < Changes; i++)
        {
            a.AddSchedule(Change(T0.AddSeconds(i)), Audit());
        }

        var claimed = new ConcurrentBag<long>();
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(() =>
        {
            var store = w % 2 == 0 ? a : b;
            while (store.ClaimDueSchedule(T0.AddHours(1), Lease) is { } change)
            {
                claimed.Add(change.Id);
            }
        }));
        await Task.WhenAll(workers);

        Assert.That(claimed, Has.Count.EqualTo(Changes));
        Assert.That(claimed.Distinct().Count(), Is.EqualTo(Changes), "no change claimed twice");
    }

    [Test]
    public void FinishSchedule_Claimed_FinalWithNoteRevisionAndAudit()
    {
        var store = Open();
        var added = store.AddSchedule(Change(T0), Audit());
        var notClaimed = store.FinishSchedule(added.Id, ScheduleStates.Applied, "x", 7, T0, null);
        store.ClaimDueSchedule(T0, Lease);

        var finished = store.FinishSchedule(added.Id, ScheduleStates.Failed, "conflict", 0, T0.AddSeconds(1), Audit("ScheduledChangeFailed"));

        Assert.That(notClaimed, Is.False, "only a claimed change is finished");
        Assert.That(finished, Is.True);
        var row = store.GetSchedule(added.Id)!;
        Assert.That((row.State, row.Note, row.FinishedAt), Is.EqualTo((ScheduleStates.Failed, "conflict", (DateTimeOffset?)T0.AddSeconds(1))));
        Assert.That(store.ClaimDueSchedule(T0.AddDays(1), Lease), Is.Null, "a finished change is never claimed again");
        Assert.That(store.GetAudit("prod", 10).Select(x => x.Action), Is.EqualTo(new[] { "ScheduledChangeFailed", "Audit" }));
    }

    [Test]
    public void DeferSchedule_Claimed_PendingAgainUntilNotBefore()
    {
        var store = Open();
        var added = store.AddSchedule(Change(T0), Audit());
        store.ClaimDueSchedule(T0, Lease);

        Assert.That(store.DeferSchedule(added.Id, T0.AddHours(3), "waiting for freeze 'x'"), Is.True);

        var row = store.GetSchedule(added.Id)!;
        Assert.That((row.State, row.Note, row.NotBefore, row.DueAt), Is.EqualTo((ScheduleStates.Pending, "waiting for freeze 'x'", T0.AddHours(3), T0)));
        Assert.That(store.ClaimDueSchedule(T0.AddHours(3).AddMilliseconds(-1), Lease), Is.Null);
        Assert.That(store.ClaimDueSchedule(T0.AddHours(3), Lease)?.Id, Is.EqualTo(added.Id));
    }

    [Test]
    public void CancelSchedule_PendingOnly_WithAuditRow()
    {
        var store = Open();
        var pending = store.AddSchedule(Change(T0.AddHours(1)), Audit());
        var claimed = store.AddSchedule(Change(T0), Audit());
        store.ClaimDueSchedule(T0, Lease);

        var cancelled = store.CancelSchedule(pending.Id, Audit("ScheduleCancel"));
        var refused = store.CancelSchedule(claimed.Id, Audit("ScheduleCancel"));

        Assert.That((cancelled, refused), Is.EqualTo((true, false)));
        Assert.That(store.GetSchedule(pending.Id)!.State, Is.EqualTo(ScheduleStates.Cancelled));
        Assert.That(store.GetAudit("prod", 10).Count(a => a.Action == "ScheduleCancel"), Is.EqualTo(1));
    }

    [Test]
    public void ReplacePendingSchedule_Pending_NewTimeAndWrite()
    {
        var store = Open();
        var added = store.AddSchedule(Change(T0.AddHours(1)), Audit());
        var changed = added with { DueAt = T0.AddHours(2), NotBefore = T0.AddHours(2), Rpc = "SetRollout", Request = [1, 2, 3], Description = "rollout to 5 %" };

        Assert.That(store.ReplacePendingSchedule(changed, Audit("ScheduleUpdate")), Is.True);

        Assert.That(store.GetSchedule(added.Id), Is.EqualTo(changed).Using<ScheduledChangeRecord>(SameRow));
        Assert.That(store.ReplacePendingSchedule(changed with { Environment = "other" }, Audit()), Is.False, "a change never moves environment");
    }

    [Test]
    public void ListSchedules_PendingFirstThenFinishedNewestFirst()
    {
        var store = Open();
        var finished = store.AddSchedule(Change(T0), Audit());
        store.ClaimDueSchedule(T0, Lease);
        store.FinishSchedule(finished.Id, ScheduleStates.Applied, "", 3, T0, null);
        var later = store.AddSchedule(Change(T0.AddHours(2)), Audit());
        var sooner = store.AddSchedule(Change(T0.AddHours(1)), Audit());
        var other = store.AddSchedule(Change(T0.AddHours(1)) with { Environment = "qa" }, Audit());

        Assert.That(store.ListSchedules("prod", false, 10).Select(c => c.Id), Is.EqualTo(new[] { sooner.Id, later.Id }));
        Assert.That(store.ListSchedules(null, true, 10).Select(c => c.Id), Is.EqualTo(new[] { sooner.Id, other.Id, later.Id, finished.Id }));
        Assert.That(store.ListSchedules(null, true, 2), Has.Count.EqualTo(2));
    }

    [Test]
    public void Freezes_AddLoadRemove_WithAuditRowsAndUniqueNames()
    {
        var store = Open();
        var oneOff = new FreezeRecord("prod", "launch", T0, T0.AddHours(4), "", "", "", "", "big day", "alice", T0);
        var weekly = new FreezeRecord("prod", "euro-final", null, null, "sat", "18:00", "23:00", "Europe/Rome", "", "alice", T0);

        Assert.That(store.AddFreeze(oneOff, Audit("FreezeAdd")), Is.True);
        Assert.That(store.AddFreeze(weekly, Audit("FreezeAdd")), Is.True);
        Assert.That(store.AddFreeze(weekly with { Comment = "again" }, Audit("FreezeAdd")), Is.False);
        Assert.That(store.LoadFreezes(), Is.EqualTo(new[] { weekly, oneOff }));
        Assert.That(store.RemoveFreeze("prod", "launch", Audit("FreezeRemove")), Is.True);
        Assert.That(store.RemoveFreeze("prod", "launch", Audit("FreezeRemove")), Is.False);
        Assert.That(store.LoadFreezes(), Is.EqualTo(new[] { weekly }));
        Assert.That(store.GetAudit("prod", 10).Select(a => a.Action), Is.EqualTo(new[] { "FreezeRemove", "FreezeAdd", "FreezeAdd" }));
    }

    private static bool SameRow(ScheduledChangeRecord a, ScheduledChangeRecord b) =>
        a with { Request = [] } == b with { Request = [] } && a.Request.AsSpan().SequenceEqual(b.Request);

    private static ScheduledChangeRecord Change(DateTimeOffset due) => new(
        0, "prod", "SetFlagState", Encoding.UTF8.GetBytes("request"), "bonus", "killed", "key_1", "ops", "alice (key ops)", 4, due, due, T0,
        ScheduleStates.Pending, "", 0, null);

    private static AuditRecord Audit(string action = "Audit") => new(0, T0, "alice", action, "prod", "", 0, "detail");
}
