using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>Leases under real concurrency: several stores (one connection pool each, as replicas have) on one database.</summary>
public sealed class LeaseConcurrencyTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    [Test]
    public async Task TryAcquireLease_FourReplicasAtOnce_ExactlyOneHoldsItEachRound()
    {
        var connectionString = PostgresSetUp.Cluster.CreateDatabase("lease_race");
        var stores = Enumerable.Range(0, 4).Select(_ => PostgresFlagStore.Open(connectionString, T0)).ToList();
        try
        {
            var ttl = TimeSpan.FromSeconds(10);
            var holders = new List<string>();
            for (var round = 0; round < 25; round++)
            {
                // Each round starts after the last holder's lease expired: every replica races for it.
                var now = T0 + (ttl * round);
                var grants = await Task.WhenAll(stores.Select((s, i) => Task.Run(() => s.TryAcquireLease("scheduler", $"replica-{i}-round-{round}", ttl, now))));

                var won = grants.Where(g => g is not null).ToList();
                Assert.That(won, Has.Count.EqualTo(1), $"round {round}: exactly one replica holds the lease");
                Assert.That(won[0]!.Token, Is.EqualTo(round + 1), "the fencing token rises with each new holder");
                holders.Add(won[0]!.Holder);
            }

            Assert.That(holders.Distinct().Count(), Is.EqualTo(25));
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
