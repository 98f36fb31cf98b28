using FlagKit.Protocol.V1;
using FlagKit.Server.Releases;
using FlagKit.Server.Replication;
using FlagKit.Server.Store;
using FlagKit.Server.Tests.Releases;
using Microsoft.Extensions.DependencyInjection;
using FlagKit.Server.Tests.Sync;
using FlagKit.Sources;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>
/// SDK release reports across replicas: three real servers on one real PostgreSQL database, a real SDK on each, a
/// release started on the replica that judges releases. The reports of the SDKs on the other two replicas reach the
/// judge's inbox through the store, each counted once.
/// </summary>
public sealed class ReportRelayReplicaTests
{
    private const string Flag = "checkout-v2";
    private const string Env = TestFlagServer.Environment;
    private readonly List<IAsyncDisposable> _disposables = [];

    [TearDown]
    public async Task TearDown()
    {
        foreach (var d in _disposables)
        {
            await d.DisposeAsync();
        }

        _disposables.Clear();
    }

    [Test]
    public async Task Reports_SdksOnThreeReplicas_TheJudgeTakesEveryOneOnce()
    {
        var settings = ReplicaPair.Settings(PostgresSetUp.Cluster.CreateDatabase("relay"), TimeSpan.FromMilliseconds(200));
        var replicas = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestFlagServer.StartAsync(settings)));
        _disposables.AddRange(replicas);
        await SyncWait.UntilAsync(() => replicas.Count(r => r.GetService<ReleaseRunner>().IsDriving) == 1, "one replica holds the release-runner lease");
        var judge = replicas.Single(r => r.GetService<ReleaseRunner>().IsDriving);
        await judge.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag(Flag, 0)));
        // Evaluated every 10 minutes: the runner does not take the inbox during the test; the test takes it as the runner does.
        var start = new ReleaseStartRequest { Environment = Env, Flag = Flag, Treatment = "on", Control = "off", HoldMs = 600_000, IntervalMs = 600_000 };
        start.Steps.AddRange([50, 100]);
        await judge.Admin.StartReleaseAsync(start);
        await SyncWait.UntilAsync(() => replicas.All(r => r.GetService<ReleaseReportInbox>().IsWatched(Env, Flag)), "every replica learns the running release from the store");

        var sdks = new List<(FlagClient Client, GrpcFlagSource Source, FakeTimeProvider Time, int Evaluations)>();
        for (var i = 0; i < replicas.Length; i++)
        {
            var (client, source, time) = await ConnectAsync(replicas[i]);
            sdks.Add((client, source, time, 10 * (i + 1)));
        }

        await SyncWait.UntilAsync(() => sdks.All(s => s.Client.Snapshot.ContainsFlag(Flag)), "every SDK holds the flag");
        foreach (var (client, _, time, evaluations) in sdks)
        {
            for (var n = 0; n < evaluations; n++)
            {
                client.IsEnabled(Flag, EvaluationContext.ForAccount($"account-{n}"));
            }

            time.Advance(TimeSpan.FromSeconds(10)); // the SDK's telemetry interval ends: one summary
        }

        var inbox = judge.GetService<ReleaseReportInbox>();
        var taken = new List<ReleaseReport>();
        await SyncWait.UntilAsync(
            () =>
            {
                taken.AddRange(inbox.Take(Env, Flag));
                return sdks.All(s => taken.Where(r => r.Instance == s.Source.InstanceId).Sum(r => r.Exposures) >= s.Evaluations);
            },
            "the judge's inbox holds every SDK's exposures");
        // Whatever is still on its way (a retried append, a late flush) must not bring a report a second time.
        await SyncWait.UntilAsync(() => replicas.All(r => r.GetService<ReleaseReportRelay>().Waiting == 0), "every replica sent what it queued");
        taken.AddRange(inbox.Take(Env, Flag));

        foreach (var (_, source, _, evaluations) in sdks)
        {
            Assert.That(taken.Where(r => r.Instance == source.InstanceId).Sum(r => r.Exposures), Is.EqualTo(evaluations), $"SDK {source.InstanceId}: each exposure counted once");
        }

        Assert.That(judge.GetService<ReleaseReportRelay>().Taken, Is.EqualTo(taken.Count), "the judge's own SDK's reports went the same way");
        Assert.That(replicas.Where(r => r != judge).Select(r => r.GetService<ReleaseReportRelay>().Relayed), Is.All.GreaterThan(0), "the others relayed their SDKs' reports");
        Assert.That(replicas.Where(r => r != judge).Select(r => r.GetService<ReleaseReportRelay>().Taken), Is.All.Zero, "only the judge takes");
        Assert.That(replicas.Sum(r => r.GetService<ReleaseReportRelay>().Dropped), Is.Zero);
    }

    [Test]
    public async Task Evaluation_ReportsOnlyOnTheOtherReplica_TheReleaseCountsThemOnce()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        var interval = TimeSpan.FromSeconds(10);
        var settings = ReplicaPair.Settings(PostgresSetUp.Cluster.CreateDatabase("relay_judge"), TimeSpan.FromMinutes(5));
        var a = await TestFlagServer.StartAsync(settings, configure: builder => builder.Services.AddSingleton<TimeProvider>(time));
        _disposables.Add(a);
        await SyncWait.UntilAsync(() => a.GetService<ReleaseRunner>().IsDriving, "A, alone, takes the lease");
        await a.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag(Flag, 0)));
        var start = new ReleaseStartRequest { Environment = Env, Flag = Flag, Treatment = "on", Control = "off", HoldMs = 60_000, IntervalMs = (long)interval.TotalMilliseconds };
        start.Steps.AddRange([1, 100]);
        var release = await a.Admin.StartReleaseAsync(start);
        var b = await TestFlagServer.StartAsync(settings, configure: builder => builder.Services.AddSingleton<TimeProvider>(time));
        _disposables.Insert(0, b);
        var workload = new ReleaseWorkload(b, Flag, "on", "off", seed: 41);

        // Every SDK is on B, which does not judge: before the relay, the release saw none of them.
        workload.PostInterval();
        await SyncWait.UntilAsync(() => b.GetService<ReleaseReportRelay>().Waiting == 0, "B sends its reports to the store");
        time.Advance(interval);
        var now = time.GetUtcNow();
        var store = a.GetService<IReleaseStore>();
        await SyncWait.UntilAsync(() => store.GetRelease(release.Id)!.UpdatedAt >= now, "A's evaluation");

        var info = await a.Admin.GetReleaseAsync(new ReleaseGetRequest { Environment = Env, Id = release.Id });
        Assert.That(info.TreatmentFigures.Requests + info.ControlFigures.Requests, Is.EqualTo(workload.RequestsPerInterval), info.Summary);
        Assert.That(b.GetService<ReleaseReportRelay>().Relayed, Is.EqualTo(2 * workload.Instances), "one report per instance and variant");
    }

    private async Task<(FlagClient Client, GrpcFlagSource Source, FakeTimeProvider Time)> ConnectAsync(TestFlagServer server)
    {
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = Env,
            AppName = "relay-tests",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(300),
        });
        var time = new FakeTimeProvider();
        var client = new FlagClient(source, new FlagClientOptions { TimeProvider = time });
        _disposables.Insert(0, client);
        await client.StartAsync();
        await SyncWait.UntilAsync(() => client.Status == FlagClientStatus.Ready && source.TelemetryQueue.Accepting, "the SDK is ready and the server takes telemetry");
        return (client, source, time);
    }
}
