using FlagKit.Protocol.V1;
using FlagKit.Server.Releases;
using FlagKit.Server.Replication;
using FlagKit.Server.Store;
using FlagKit.Server.Tests.Releases;
using FlagKit.Server.Tests.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>
/// Releases across replicas: two real servers on one real PostgreSQL database, both knowing the same running release;
/// only the holder of the <c>release-runner</c> lease drives it, so every step is written once.
/// </summary>
public sealed class ReleaseReplicaTests
{
    private const string Flag = "checkout-v2";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Release_KnownToTwoReplicas_OnlyTheLeaseHolderWritesEachStepOnce()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        var settings = ReplicaPair.Settings(PostgresSetUp.Cluster.CreateDatabase("releases"), TimeSpan.FromMinutes(5));
        await using var a = await TestFlagServer.StartAsync(settings, configure: builder => builder.Services.AddSingleton<TimeProvider>(time));
        await SyncWait.UntilAsync(() => a.GetService<ReleaseRunner>().IsDriving, "A, alone, takes the lease");
        await a.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag(Flag, 0)));
        var release = await a.Admin.StartReleaseAsync(Request());
        await using var b = await TestFlagServer.StartAsync(settings, configure: builder => builder.Services.AddSingleton<TimeProvider>(time)); // loads the release too
        Assert.That(b.GetService<ReleaseRunner>().IsDriving, Is.False, "the lease is A's");
        var workloads = new[] { new ReleaseWorkload(a, Flag, "on", "off", seed: 31), new ReleaseWorkload(b, Flag, "on", "off", seed: 32) };
        var store = a.GetService<IReleaseStore>();

        for (var i = 0; i < 60 && store.GetRelease(release.Id)!.Status == "running"; i++)
        {
            // SDKs on B serve the split B has learnt; the step's share write reaches B a moment after A (NOTIFY), which
            // is nothing against a real interval but a whole one against this fake clock: wait for it, as a real
            // interval would.
            await SyncWait.UntilAsync(() => workloads[1].TreatmentPercent() == workloads[0].TreatmentPercent(), "B serves A's step");
            foreach (var workload in workloads)
            {
                workload.PostInterval();
            }

            // B's reports reach A through the store; the relay appends them as they arrive, and on a busy machine that
            // can be after the fake clock's jump. Real SDK reports arrive well inside an interval: so here.
            Assert.That(b.GetService<ReleaseReportRelay>().Flush(), Is.True, "B's reports appended to the store");
            time.Advance(Interval);
            var now = time.GetUtcNow();
            await SyncWait.UntilAsync(() => store.GetRelease(release.Id)!.UpdatedAt >= now || store.GetRelease(release.Id)!.Status != "running", "the interval's evaluation");
        }

        var info = await a.Admin.GetReleaseAsync(new ReleaseGetRequest { Environment = TestFlagServer.Environment, Id = release.Id });
        Assert.That(info.Status, Is.EqualTo(ReleaseRunStatus.Completed), info.Summary);
        var history = await a.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment, Key = Flag, Limit = 50 });
        var writes = history.Entries.Where(h => h.Author == $"release:{release.Id}").Reverse().Select(h => h.Operation);
        Assert.That(writes, Is.EqualTo(new[] { 1, 5, 25, 50, 100 }.Select(p => $"release {release.Id}: on {p} %, off {100 - p} %")), "each step written once");
        Assert.That(store.GetReleaseEvents(release.Id, 50).Select(e => e.Kind), Is.EqualTo(new[] { "started", "advanced", "advanced", "advanced", "completed" }));
        Assert.That((a.GetService<ReleaseRunner>().IsDriving, b.GetService<ReleaseRunner>().IsDriving), Is.EqualTo((true, false)));
    }

    private static ReleaseStartRequest Request()
    {
        var request = new ReleaseStartRequest
        {
            Environment = TestFlagServer.Environment, Flag = Flag, Treatment = "on", Control = "off", HoldMs = 60_000, IntervalMs = (long)Interval.TotalMilliseconds,
        };
        request.Steps.AddRange([1, 5, 25, 50, 100]);
        return request;
    }
}
