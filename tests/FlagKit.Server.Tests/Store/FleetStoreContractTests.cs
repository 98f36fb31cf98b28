using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>
/// What replicas share beyond documents, run against each store (<see cref="FleetStoreContractSqliteTests"/>,
/// <see cref="Postgres.FleetStoreContractPostgresTests"/>): the report relay (a batch is stored once whatever the
/// retries, taken once, bounded per flag before anything is written, pruned by age) and each replica's instance
/// summary (replaced by its replica, listed while fresh, deleted, pruned).
/// </summary>
public abstract class FleetStoreContractTests : StoreContractFixture
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    [Test]
    public void TakeReportBatches_AfterAppends_ReturnsTheFlagsBatchesOnceOldestFirst()
    {
        var (store, env) = OpenWithEnvironment();
        var first = Batch(env, "checkout", 3, T0);
        var second = Batch(env, "checkout", 2, T0 + TimeSpan.FromSeconds(1));
        var other = Batch(env, "search", 4, T0);
        store.AppendReportBatch(second, 100);
        store.AppendReportBatch(first, 100);
        store.AppendReportBatch(other, 100);

        var taken = store.TakeReportBatches(env, "checkout", 10, T0 + TimeSpan.FromSeconds(5));
        var again = store.TakeReportBatches(env, "checkout", 10, T0 + TimeSpan.FromSeconds(6));

        Assert.That(taken.Select(b => (b.Id, b.Reports, b.Payload.Length, b.TakenAt)), Is.EqualTo(new[]
        {
            (first.Id, 3, 3, (DateTimeOffset?)(T0 + TimeSpan.FromSeconds(5))),
            (second.Id, 2, 2, (DateTimeOffset?)(T0 + TimeSpan.FromSeconds(5))),
        }));
        Assert.That(taken[0].Payload, Is.EqualTo(first.Payload));
        Assert.That(again, Is.Empty, "a batch is taken once");
        Assert.That(store.TakeReportBatches(env, "search", 10, T0).Select(b => b.Id), Is.EqualTo(new[] { other.Id }), "other flags are untouched");
    }

    [Test]
    public void TakeReportBatches_Limit_TakesAtMostThatManyAndLeavesTheRest()
    {
        var (store, env) = OpenWithEnvironment();
        var batches = Enumerable.Range(0, 5).Select(i => Batch(env, "checkout", 1, T0 + TimeSpan.FromSeconds(i))).ToList();
        batches.ForEach(b => store.AppendReportBatch(b, 100));

        var firstTake = store.TakeReportBatches(env, "checkout", 2, T0);
        var secondTake = store.TakeReportBatches(env, "checkout", 10, T0);

        Assert.That(firstTake.Select(b => b.Id), Is.EqualTo(batches.Take(2).Select(b => b.Id)));
        Assert.That(secondTake.Select(b => b.Id), Is.EqualTo(batches.Skip(2).Select(b => b.Id)));
    }

    [Test]
    public void AppendReportBatch_SameIdAgain_StoredOnceEvenAfterItWasTaken()
    {
        var (store, env) = OpenWithEnvironment();
        var batch = Batch(env, "checkout", 3, T0);

        var appended = store.AppendReportBatch(batch, 100);
        var retried = store.AppendReportBatch(batch, 100);
        var taken = store.TakeReportBatches(env, "checkout", 10, T0);
        var retriedAfterTake = store.AppendReportBatch(batch, 100);

        Assert.That((appended, retried, retriedAfterTake), Is.EqualTo((true, true, true)), "a retried append is answered as stored");
        Assert.That(taken, Has.Count.EqualTo(1));
        Assert.That(store.TakeReportBatches(env, "checkout", 10, T0), Is.Empty, "a retry after the take does not store the batch again");
    }

    [Test]
    public void AppendReportBatch_OverTheFlagsCapacity_RefusedAndNothingStored()
    {
        var (store, env) = OpenWithEnvironment();
        store.AppendReportBatch(Batch(env, "checkout", 6, T0), 10);

        var over = store.AppendReportBatch(Batch(env, "checkout", 5, T0), 10);
        var fits = store.AppendReportBatch(Batch(env, "checkout", 4, T0), 10);
        var otherFlag = store.AppendReportBatch(Batch(env, "search", 10, T0), 10);

        Assert.That((over, fits, otherFlag), Is.EqualTo((false, true, true)));
        Assert.That(store.TakeReportBatches(env, "checkout", 10, T0).Sum(b => b.Reports), Is.EqualTo(10));
        Assert.That(store.AppendReportBatch(Batch(env, "checkout", 10, T0), 10), Is.True, "taken reports no longer count against the capacity");
    }

    [Test]
    public void PruneReportBatches_DeletesBatchesPostedBeforeTheCutTakenOrNot()
    {
        var (store, env) = OpenWithEnvironment();
        var oldTaken = Batch(env, "checkout", 1, T0);
        var oldWaiting = Batch(env, "search", 1, T0);
        var recent = Batch(env, "checkout", 1, T0 + TimeSpan.FromMinutes(10));
        store.AppendReportBatch(oldTaken, 100);
        store.TakeReportBatches(env, "checkout", 10, T0);
        store.AppendReportBatch(oldWaiting, 100);
        store.AppendReportBatch(recent, 100);

        var pruned = store.PruneReportBatches(T0 + TimeSpan.FromMinutes(5));

        Assert.That(pruned, Is.EqualTo(2));
        Assert.That(store.TakeReportBatches(env, "search", 10, T0), Is.Empty);
        Assert.That(store.TakeReportBatches(env, "checkout", 10, T0).Select(b => b.Id), Is.EqualTo(new[] { recent.Id }));
    }

    [Test]
    public void InstanceSummaries_PutReplaceLoadDeletePrune_OneRowPerReplicaListedWhileFresh()
    {
        var (store, _) = OpenWithEnvironment();
        store.PutInstanceSummary(new InstanceSummaryRecord("replica-a", [1], T0));
        store.PutInstanceSummary(new InstanceSummaryRecord("replica-b", [2], T0));
        store.PutInstanceSummary(new InstanceSummaryRecord("replica-a", [3, 3], T0 + TimeSpan.FromSeconds(10)));

        var fresh = store.LoadInstanceSummaries(T0 + TimeSpan.FromSeconds(5));
        var all = store.LoadInstanceSummaries(T0);
        var deleted = (store.DeleteInstanceSummary("replica-a"), store.DeleteInstanceSummary("replica-a"));
        store.PutInstanceSummary(new InstanceSummaryRecord("replica-c", [4], T0 + TimeSpan.FromSeconds(20)));
        var pruned = store.PruneInstanceSummaries(T0 + TimeSpan.FromSeconds(15));

        Assert.That(fresh.Select(r => (r.Replica, r.Instances.Length, r.UpdatedAt)), Is.EqualTo(new[] { ("replica-a", 2, T0 + TimeSpan.FromSeconds(10)) }), "replaced, and only rows written since the cut");
        Assert.That(all.Select(r => r.Replica), Is.EqualTo(new[] { "replica-a", "replica-b" }));
        Assert.That(deleted, Is.EqualTo((true, false)));
        Assert.That(pruned, Is.EqualTo(1), "replica-b's old row");
        Assert.That(store.LoadInstanceSummaries(T0).Select(r => (r.Replica, r.Instances[0])), Is.EqualTo(new[] { ("replica-c", (byte)4) }));
    }

    private (IFlagStore Store, long Environment) OpenWithEnvironment()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", new AuditRecord(0, T0, "alice", "CreateEnvironment", "prod", "prod", 0, ""));
        return (store, env.Id);
    }

    private static ReportBatchRecord Batch(long env, string flag, int reports, DateTimeOffset at) =>
        new(Guid.NewGuid(), env, flag, reports, Enumerable.Repeat((byte)reports, reports).ToArray(), at);
}
