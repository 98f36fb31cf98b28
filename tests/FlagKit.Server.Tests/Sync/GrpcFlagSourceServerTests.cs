using FlagKit.Protocol.V1;
using FlagKit.Sources;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// The real SDK (<see cref="GrpcFlagSource"/> behind a <see cref="FlagClient"/>) against the real flag server on
/// loopback, with its SQLite file: changes through the admin API reach the SDK and are acked; a stopped and restarted
/// server loses nothing and the SDK catches up with only what it missed; an SDK that starts while the server is down
/// serves its disk cache until the server comes.
/// </summary>
public sealed class GrpcFlagSourceServerTests
{
    private readonly List<IAsyncDisposable> _disposables = [];
    private string _cacheDirectory = "";

    [SetUp]
    public void SetUp() => _cacheDirectory = Directory.CreateTempSubdirectory("flagkit-sdk-cache-").FullName;

    [TearDown]
    public async Task TearDown()
    {
        for (int i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        _disposables.Clear();
        Directory.Delete(_cacheDirectory, recursive: true);
    }

    [Test]
    public async Task AdminChange_ConnectedSdk_AppliesItAndTheServerListsTheAck()
    {
        TestFlagServer server = await StartServer();
        long r1 = await Put(server, Flag("checkout-v2", on: false));
        (FlagClient client, GrpcFlagSource source) = await Connect(server);
        await SyncWait.UntilAsync(() => client.Snapshot.Revision == r1, $"the SDK holds revision {r1}");
        var flips = new List<long>();
        client.FlagsChanged += (_, e) => { lock (flips) { flips.Add(e.Revision); } };

        long r2 = (await server.Admin.SetFlagStateAsync(new SetFlagStateRequest
        {
            Environment = TestFlagServer.Environment,
            Key = "checkout-v2",
            Change = FlagStateChange.Enable,
            Options = new WriteOptions { Comment = "roll out" },
        })).Revision;

        await SyncWait.UntilAsync(() => client.IsEnabled("checkout-v2"), "the SDK sees the flag on");
        await SyncWait.UntilAsync(() => AckedRevision(server, source) == r2, $"the server lists revision {r2} as acked");
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(client.Snapshot.Revision, Is.EqualTo(r2));
        Assert.That(flips, Does.Contain(r2));
        Assert.That(source.Diagnostics.LastBatch!.Kind, Is.EqualTo(Sources.GrpcSyncBatchKind.Delta));
        InstanceInfo instance = Instance(server, source)!;
        Assert.That(instance.AppName, Is.EqualTo("sync-tests"));
        Assert.That(instance.SdkName, Is.EqualTo(GrpcFlagSource.SdkName));
        Assert.That(instance.FailedDocuments, Is.Zero);
    }

    [Test]
    public async Task ServerRestart_SdkServesThroughoutAndCatchesUpWithOnlyTheMissedChanges()
    {
        TestFlagServer server = await StartServer();
        await Put(server, Flag("wallet", on: true));
        await Put(server, Flag("bonus", on: false));
        long before = await Put(server, Flag("lobby", on: true));
        var partition = new PartitionHandler();
        (FlagClient client, GrpcFlagSource source) = await Connect(server, partition);
        await SyncWait.UntilAsync(() => AckedRevision(server, source) == before, $"revision {before} acked before the stop");

        // The SDK is cut off from the network, the server stops and comes back on the same data file, and two changes
        // are committed that the SDK cannot see yet.
        partition.Partitioned = true;
        await server.StopAsync();
        await SyncWait.UntilAsync(() => client.Status == FlagClientStatus.Stale, "the SDK reports Stale while the server is gone");
        Assert.That(client.IsEnabled("wallet") && client.IsEnabled("lobby") && !client.IsEnabled("bonus"), Is.True, "last snapshot served while down");
        await server.RestartAsync();
        await SyncWait.UntilAsync(() => partition.Refused > 0, "the SDK keeps trying to reconnect");
        long r1 = await Put(server, Flag("bonus", on: true));
        long r2 = (await server.Admin.ArchiveDocumentAsync(new ArchiveDocumentRequest { Environment = TestFlagServer.Environment, Kind = DocumentKind.Flag, Key = "lobby" })).Revision;
        Assert.That(client.Snapshot.Revision, Is.EqualTo(before), "nothing new before the partition heals");
        Assert.That(client.IsEnabled("lobby"), Is.True);

        partition.Partitioned = false;
        await SyncWait.UntilAsync(() => client.Snapshot.Revision == r2, $"the SDK catches up to {r2}");
        await SyncWait.UntilAsync(() => AckedRevision(server, source) == r2, $"the server lists {r2} as acked");

        Assert.That(r1, Is.EqualTo(before + 1), "nothing committed before the stop was lost: revisions continue");
        Assert.That(source.Diagnostics.LastHelloRevision, Is.EqualTo(before), "resumed from the last complete revision");
        Sources.GrpcSyncBatchRecord batch = source.Diagnostics.LastBatch!;
        Assert.That(batch.Kind, Is.EqualTo(Sources.GrpcSyncBatchKind.Delta), "only the missed changes, not a full snapshot");
        Assert.That(batch.FromRevision, Is.EqualTo(before));
        Assert.That(batch.Documents, Is.EqualTo(2));
        Assert.That(client.IsEnabled("bonus"), Is.True);
        Assert.That(client.Snapshot.ContainsFlag("lobby"), Is.False);
        Assert.That(client.IsEnabled("wallet"), Is.True);
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
    }

    [Test]
    public async Task StartWhileServerDown_ServesTheDiskCacheThenCatchesUpWhenTheServerComes()
    {
        TestFlagServer server = await StartServer();
        long cached = await Put(server, Flag("wallet", on: true));
        (FlagClient first, GrpcFlagSource firstSource) = await Connect(server);
        await SyncWait.UntilAsync(() => firstSource.Diagnostics.CacheWrites > 0 && first.Snapshot.Revision == cached, "the first SDK wrote its disk cache");
        await first.DisposeAsync();
        long missed = await Put(server, Flag("bonus", on: true));
        await server.StopAsync();

        (FlagClient client, GrpcFlagSource source) = await Connect(server, startTimeout: TimeSpan.FromMilliseconds(300));
        await SyncWait.UntilAsync(() => client.Status == FlagClientStatus.Stale, "the SDK serves its disk cache");
        Assert.That(client.Snapshot.Revision, Is.EqualTo(cached));
        Assert.That(client.IsEnabled("wallet"), Is.True);
        Assert.That(client.IsEnabled("bonus"), Is.False, "not in the cache");

        await server.RestartAsync();
        await SyncWait.UntilAsync(() => client.Snapshot.Revision == missed, $"the SDK catches up to {missed}");

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(client.IsEnabled("bonus"), Is.True);
        Assert.That(source.Diagnostics.ServedCache, Is.True);
        // The SDK offers the cache's revision; whether the server answers with a delta or a full snapshot depends on
        // how far back its change log reaches after its own restart.
        Assert.That(source.Diagnostics.LastHelloRevision, Is.EqualTo(cached), "resumed from the cache's revision");
    }

    [Test]
    public async Task Start_CorruptDiskCache_IsReportedIgnoredAndReplaced()
    {
        TestFlagServer server = await StartServer();
        long revision = await Put(server, Flag("wallet", on: true));
        string cacheFile = Sources.Caching.DiskSnapshotCache.PathFor(_cacheDirectory, TestFlagServer.Environment, server.Address.ToString());
        await File.WriteAllTextAsync(cacheFile, "{\"format\":\"flagkit-snapshot-cache\",\"formatVersion\":1,\"schema\":1,\"revision\":999,\"environment\":\"production\",\"payloadLength\":5000}\n{\"schema\":1,\"fla");

        (FlagClient client, GrpcFlagSource source) = await Connect(server);
        await SyncWait.UntilAsync(() => client.Snapshot.Revision == revision && source.Diagnostics.CacheWrites > 0, "the SDK syncs and rewrites its cache");

        Assert.That(source.CacheFilePath, Is.EqualTo(Path.GetFullPath(cacheFile)));
        Assert.That(source.Diagnostics.CacheProblem, Does.Contain("ignored").And.Contain("truncated"));
        Assert.That(source.Diagnostics.LastHelloRevision, Is.Zero, "the corrupt cache's revision was not trusted");
        Assert.That(client.IsEnabled("wallet"), Is.True);
        var reread = new Sources.Caching.DiskSnapshotCache(cacheFile, TestFlagServer.Environment, server.Address.ToString(), TimeProvider.System).Load();
        Assert.That(reread.IsUsable, Is.True, reread.Problem);
        Assert.That(reread.Header!.Revision, Is.EqualTo(revision));
    }

    [Test]
    public async Task Start_WrongKey_FailsWithTheServersMessage()
    {
        TestFlagServer server = await StartServer();
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = "fk_sdk_not_a_real_key",
            Environment = TestFlagServer.Environment,
            FailedRetryDelay = TimeSpan.FromMinutes(10),
        });
        var client = new FlagClient(source);
        string? detail = null;
        client.StatusChanged += (_, e) => detail = e.Detail;
        _disposables.Add(client);

        await client.StartAsync();
        await SyncWait.UntilAsync(() => Volatile.Read(ref detail) is not null, "the StatusChanged event is raised (on the client's own task)");

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Failed));
        Assert.That(detail, Does.Contain("Unauthenticated"));
        Assert.That(detail, Does.Not.Contain("fk_sdk_not_a_real_key"));
    }

    [Test]
    public async Task AddFlagKit_BoundFromConfiguration_ConnectsAndFollowsAFlagWithoutRestart()
    {
        TestFlagServer server = await StartServer();
        await Put(server, Flag("checkout-v2", on: false));
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlagKit:ServerUrl"] = server.Address.ToString(),
            ["FlagKit:ApiKey"] = TestFlagServer.SdkKey,
            ["FlagKit:Environment"] = TestFlagServer.Environment,
            ["FlagKit:AppName"] = "di-sample",
            ["FlagKit:AppVersion"] = "2.0.0",
            ["FlagKit:CacheDirectory"] = _cacheDirectory,
            ["FlagKit:StartTimeout"] = "00:00:10",
            ["FlagKit:ReconnectMinDelay"] = "00:00:00.050",
            ["FlagKit:ReconnectMaxDelay"] = "00:00:00.500",
        });
        builder.Services.AddFlagKit(builder.Configuration.GetSection("FlagKit"));
        builder.Services.AddHealthChecks().AddFlagKit();
        using IHost host = builder.Build();

        await host.StartAsync();
        var client = host.Services.GetRequiredService<FlagClient>();
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready), "the host's start waited for the first snapshot");
        Assert.That(client.IsEnabled("checkout-v2"), Is.False);

        await server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = TestFlagServer.Environment, Key = "checkout-v2", Change = FlagStateChange.Enable });
        await SyncWait.UntilAsync(() => client.IsEnabled("checkout-v2"), "the flag flips in the running host");
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        ListInstancesResponse instances = await server.Admin.ListInstancesAsync(new ListInstancesRequest { Environment = TestFlagServer.Environment });
        await host.StopAsync();

        Assert.That(health.Entries["flagkit"].Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(instances.Instances.Select(i => (i.AppName, i.AppVersion)), Does.Contain(("di-sample", "2.0.0")));
    }

    // The propagation path as the server sees it, in order on its clock: the write durable (committed_at), the
    // revision sent to the instance's stream (sent_at), the instance's ack (acked_at).
    [Test]
    public async Task Write_ThenListInstances_CommitSentAndAckTimesInOrder()
    {
        TestFlagServer server = await StartServer();
        (FlagClient client, GrpcFlagSource source) = await Connect(server);

        WriteResponse write = await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8(Flag("timed", on: true)),
        });
        await SyncWait.UntilAsync(() => AckedRevision(server, source) >= write.Revision, "the instance acks the write");
        InstanceInfo instance = Instance(server, source)!;
        WriteResponse unchanged = await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8(Flag("timed", on: true)),
        });

        Assert.Multiple(() =>
        {
            Assert.That(client.IsEnabled("timed"), Is.True);
            Assert.That(write.CommittedAt, Is.Not.Null);
            Assert.That(instance.SentRevision, Is.EqualTo(write.Revision));
            Assert.That(instance.SentAt.ToDateTimeOffset(), Is.GreaterThanOrEqualTo(write.CommittedAt.ToDateTimeOffset()));
            Assert.That(instance.AckedAt.ToDateTimeOffset(), Is.GreaterThanOrEqualTo(instance.SentAt.ToDateTimeOffset()));
            Assert.That(unchanged.CommittedAt, Is.Null, "a write that changed nothing committed nothing");
        });
    }

    private async Task<TestFlagServer> StartServer()
    {
        TestFlagServer server = await TestFlagServer.StartAsync();
        _disposables.Add(server);
        return server;
    }

    private async Task<(FlagClient Client, GrpcFlagSource Source)> Connect(TestFlagServer server, HttpMessageHandler? handler = null, TimeSpan? startTimeout = null)
    {
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = TestFlagServer.Environment,
            AppName = "sync-tests",
            AppVersion = "1.0.0",
            CacheDirectory = _cacheDirectory,
            StartTimeout = startTimeout ?? TimeSpan.FromSeconds(10),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            HttpHandler = handler,
        });
        var client = new FlagClient(source, new FlagClientOptions { StartTimeout = (startTimeout ?? TimeSpan.FromSeconds(10)) + TimeSpan.FromSeconds(1) });
        _disposables.Add(client);
        if (handler is not null)
        {
            _disposables.Add(new DisposeAction(handler.Dispose));
        }

        await client.StartAsync();
        return (client, source);
    }

    private static async Task<long> Put(TestFlagServer server, string json) =>
        (await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8(json),
            Options = new WriteOptions { Comment = "sync test" },
        })).Revision;

    private static InstanceInfo? Instance(TestFlagServer server, GrpcFlagSource source) =>
        server.Admin.ListInstances(new ListInstancesRequest { Environment = TestFlagServer.Environment }).Instances.FirstOrDefault(i => i.InstanceId == source.InstanceId);

    private static long AckedRevision(TestFlagServer server, GrpcFlagSource source) =>
        server.IsRunning ? Instance(server, source)?.AckedRevision ?? -1 : -1;

    private static string Flag(string key, bool on) =>
        $$$"""{ "key": "{{{key}}}", "kind": "bool", "on": {{{(on ? "true" : "false")}}}, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }""";

    private sealed class DisposeAction(Action action) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            action();
            return ValueTask.CompletedTask;
        }
    }
}
