using System.Collections.Concurrent;
using FlagKit.Server.Replication;
using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;
using FlagKit.Server.Tests.Sync;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>
/// <see cref="LeaseRunner"/> on a real PostgreSQL database with two replicas' stores (one pool each): the work runs on
/// one replica only, moves to another when its holder dies (stops renewing) once the lease expired, and at once when the
/// holder stops cleanly. Time is a <see cref="FakeTimeProvider"/>; the database is real.
/// </summary>
public sealed class LeaseRunnerTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    [Test]
    public async Task HolderDies_AfterExpiry_AnotherReplicaRunsTheWork()
    {
        var connectionString = PostgresSetUp.Cluster.CreateDatabase("lease_runner");
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        using var dead = PostgresFlagStore.Open(connectionString, time.GetUtcNow());
        using var alive = PostgresFlagStore.Open(connectionString, time.GetUtcNow());

        // The former holder took the lease, then died: it never renews nor gives it back.
        Assert.That(dead.TryAcquireLease("scheduler", "dead-replica", Ttl, time.GetUtcNow()), Is.Not.Null);
        var runs = new ConcurrentQueue<LeaseGrant>();
        using var stop = new CancellationTokenSource();
        var runner = new LeaseRunner(alive, time, "alive-replica");
        var running = runner.RunAsync("scheduler", Ttl, (grant, ct) => { runs.Enqueue(grant); return Task.Delay(Timeout.Infinite, ct); }, stop.Token);

        await AdvanceAsync(time, TimeSpan.FromSeconds(2.5));
        Assert.That(runs, Is.Empty, "not before the dead holder's lease expired");
        await AdvanceAsync(time, TimeSpan.FromSeconds(1.5));
        await SyncWait.UntilAsync(() => !runs.IsEmpty, "the live replica runs the work once the lease expired");

        Assert.That(runs.Single(), Is.EqualTo(new LeaseGrant("scheduler", "alive-replica", 2, runs.Single().ExpiresAt)));
        await stop.CancelAsync();
        await running;
    }

    [Test]
    public async Task TwoReplicasRunning_WorkRunsOnOne_HandsOverAtOnceOnCleanStop()
    {
        var connectionString = PostgresSetUp.Cluster.CreateDatabase("lease_handover");
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        using var storeA = PostgresFlagStore.Open(connectionString, time.GetUtcNow());
        using var storeB = PostgresFlagStore.Open(connectionString, time.GetUtcNow());
        var active = new ConcurrentDictionary<string, int>();
        var runs = new ConcurrentQueue<string>();
        Func<LeaseGrant, CancellationToken, Task> work = async (grant, ct) =>
        {
            runs.Enqueue(grant.Holder);
            active.AddOrUpdate("now", 1, (_, n) => n + 1);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                active.AddOrUpdate("now", 0, (_, n) => n - 1);
            }
        };
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var a = new LeaseRunner(storeA, time, "replica-a").RunAsync("releases", Ttl, work, stopA.Token);
        await SyncWait.UntilAsync(() => runs.Count == 1, "replica A takes the lease first");
        var b = new LeaseRunner(storeB, time, "replica-b").RunAsync("releases", Ttl, work, stopB.Token);
        for (var i = 0; i < 6; i++)
        {
            await AdvanceAsync(time, TimeSpan.FromSeconds(1));
        }

        Assert.That(runs, Is.EqualTo(new[] { "replica-a" }), "A renews; B never runs the work meanwhile");
        await stopA.CancelAsync();
        await a;
        await AdvanceAsync(time, TimeSpan.FromSeconds(1));
        await SyncWait.UntilAsync(() => runs.Count == 2, "B takes over at its next try, before A's lease would have expired");

        Assert.That(runs, Is.EqualTo(new[] { "replica-a", "replica-b" }));
        Assert.That(active["now"], Is.EqualTo(1), "never two holders working at once");
        await stopB.CancelAsync();
        await b;
    }

    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan by)
    {
        // In small steps, letting the runners' loops (real database calls) run between them.
        for (var step = TimeSpan.Zero; step < by; step += TimeSpan.FromMilliseconds(250))
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(20);
        }
    }
}
