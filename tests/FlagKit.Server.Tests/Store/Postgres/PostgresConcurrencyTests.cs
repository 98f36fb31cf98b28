using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>
/// What the database enforces once several replicas write: two stores (two connection pools, as two replicas would
/// have) on one database.
/// </summary>
public sealed class PostgresConcurrencyTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    [Test]
    public async Task Commit_TwoConnectionsSameExpectedRevision_ExactlyOneWinsEachRound()
    {
        var cs = PostgresSetUp.Cluster.CreateDatabase("race");
        using var a = PostgresFlagStore.Open(cs, T0);
        using var b = PostgresFlagStore.Open(cs, T0);
        var env = a.CreateEnvironment("prod", Audit(0));
        const int Rounds = 30;

        for (var round = 0; round < Rounds; round++)
        {
            var from = (long)round;
            using var start = new Barrier(2);
            var results = await Task.WhenAll(
                Task.Run(() => TryCommit(a, start, Batch(env.Id, from, "a"))),
                Task.Run(() => TryCommit(b, start, Batch(env.Id, from, "b"))));

            Assert.That(results.Count(r => r is null), Is.EqualTo(1), $"round {round}: exactly one commit wins");
            Assert.That(results.Single(r => r is not null), Is.TypeOf<RevisionConflictException>(), $"round {round}: the loser is told the revision moved");
        }

        Assert.That(b.LoadEnvironments().Single().Revision, Is.EqualTo(Rounds));
        var history = a.GetHistory(env.Id, null, 1000, 0);
        Assert.That(history.Select(h => h.Revision), Is.EqualTo(Enumerable.Range(1, Rounds).Reverse().Select(r => (long)r)), "one history row per revision, no gaps, none twice");
        Assert.That(a.GetAudit("prod", 1000), Has.Count.EqualTo(Rounds + 1));
    }

    [Test]
    public async Task Commit_DuplicateKeyFromSecondReplica_RefusedWithFirstAnswer()
    {
        var cs = PostgresSetUp.Cluster.CreateDatabase("idem");
        using var a = PostgresFlagStore.Open(cs, T0);
        using var b = PostgresFlagStore.Open(cs, T0);
        var env = a.CreateEnvironment("prod", Audit(0));

        // b computed its write against revision 1, after a's commit but before seeing a's key: the key decides.
        a.Commit(Batch(env.Id, 0, "a") with { IdempotencyKey = "retry-1", Answer = new IdempotentAnswer([1], Encoding.UTF8.GetBytes("a")) }, T0);
        var error = await Task.Run(() => Assert.Throws<IdempotencyKeyTakenException>(
            () => b.Commit(Batch(env.Id, 1, "b") with { IdempotencyKey = "retry-1", Answer = new IdempotentAnswer([1], Encoding.UTF8.GetBytes("b")) }, T0)));

        Assert.That(Encoding.UTF8.GetString(error!.Stored.Response), Is.EqualTo("a"));
        Assert.That(a.LoadEnvironments().Single().Revision, Is.EqualTo(1));
    }

    [Test]
    public async Task Open_SeveralReplicasOnEmptyDatabase_MigrateOnce()
    {
        var cs = PostgresSetUp.Cluster.CreateDatabase("migrate");

        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresFlagStore.Open(cs, T0))));
        try
        {
            Assert.That(stores.Select(s => s.ReadSchemaVersion()), Is.All.EqualTo(PostgresFlagStore.CurrentSchemaVersion));
        }
        finally
        {
            foreach (var s in stores)
            {
                s.Dispose();
            }
        }
    }

    private static Exception? TryCommit(IFlagStore store, Barrier start, CommitBatch batch)
    {
        start.SignalAndWait();
        try
        {
            store.Commit(batch, T0);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    private static CommitBatch Batch(long envId, long from, string writer)
    {
        var doc = new StoredDocument(DocumentKind.Flag, "f", Encoding.UTF8.GetBytes($"{{\"by\":\"{writer}\"}}"), from + 1, from + 1, T0, writer, false);
        var history = new HistoryRecord(from + 1, DocumentKind.Flag, "f", from == 0 ? "created" : "updated", writer, "", T0, null, doc.Json, "f changed", "put");
        return new CommitBatch(envId, from, from + 1, [doc], [history], Audit(from + 1), null, null);
    }

    private static AuditRecord Audit(long revision) => new(0, T0, "alice", "Commit", "prod", "f", revision, "");
}
