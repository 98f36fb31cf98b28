using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The report relay's table under real concurrency: several stores (one connection pool each, as replicas have) on one database.</summary>
public sealed class ReportRelayConcurrencyTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    [Test]
    public async Task TakeReportBatches_FourTakersWhileThreeReplicasAppend_EveryBatchTakenExactlyOnce()
    {
        var connectionString = PostgresSetUp.Cluster.CreateDatabase("relay_race");
        var stores = Enumerable.Range(0, 4).Select(_ => PostgresFlagStore.Open(connectionString, T0)).ToList();
        try
        {
            var env = stores[0].CreateEnvironment("prod", new AuditRecord(0, T0, "alice", "CreateEnvironment", "prod", "prod", 0, "")).Id;
            const int PerAppender = 60;
            var appended = new System.Collections.Concurrent.ConcurrentBag<Guid>();
            var taken = new System.Collections.Concurrent.ConcurrentBag<Guid>();
            var appending = stores.Take(3).Select((s, i) => Task.Run(() =>
            {
                for (var n = 0; n < PerAppender; n++)
                {
                    var batch = new ReportBatchRecord(Guid.NewGuid(), env, "checkout", 1, [(byte)i], T0 + TimeSpan.FromMilliseconds(n));
                    Assert.That(s.AppendReportBatch(batch, 1_000_000), Is.True);
                    s.AppendReportBatch(batch, 1_000_000); // a retry after a lost acknowledgement stores nothing new
                    appended.Add(batch.Id);
                }
            })).ToArray();
            var done = Task.WhenAll(appending);

            // Every store takes at once, as replicas that each believe they hold the lease would.
            var taking = stores.Select(s => Task.Run(async () =>
            {
                while (!done.IsCompleted || taken.Count < appended.Count)
                {
                    foreach (var b in s.TakeReportBatches(env, "checkout", 7, T0))
                    {
                        taken.Add(b.Id);
                    }

                    await Task.Yield();
                }
            })).ToArray();
            await done;
            await Task.WhenAll(taking).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.That(taken, Has.Count.EqualTo(3 * PerAppender), "no batch taken twice, none lost");
            Assert.That(taken.Distinct().Order(), Is.EqualTo(appended.Order()));
        }
        finally
        {
            foreach (var s in stores)
            {
                s.Dispose();
            }
        }
    }
}
