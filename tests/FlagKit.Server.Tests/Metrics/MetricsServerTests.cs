using System.Diagnostics.Metrics;
using FlagKit.Protocol.V1;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Tests.Sync;
using FlagKit.Sources;
using Grpc.Core;

namespace FlagKit.Server.Tests.Metrics;

/// <summary>
/// The server's instruments, read with a <see cref="MeterListener"/> on the meter of a real server on loopback, driven
/// by real admin writes, real sync streams (raw and the SDK's) and real key revocations.
/// </summary>
public sealed class MetricsServerTests
{
    private const string Env = TestFlagServer.Environment;
    private TestFlagServer? _server;
    private MetricsRecorder? _recorder;
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly List<string> _directories = [];

    [TearDown]
    public async Task TearDown()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        _disposables.Clear();
        foreach (var directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }

        _directories.Clear();

        _recorder?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Test]
    public async Task Writes_CommittedAndRefused_CountedByActionEnvironmentAndReason()
    {
        var (server, recorder) = await StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("flag-" + i)));
        }

        var killed = await server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Key = "flag-0", Change = FlagStateChange.Kill });

        // Refused: a stale expected revision, a document the compiler refuses, an environment that does not exist.
        await RefusedAsync(server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("late"), expectedRevision: 1)).ResponseAsync, StatusCode.FailedPrecondition);
        await RefusedAsync(server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("bad", defaultVariant: "nope"))).ResponseAsync, StatusCode.InvalidArgument);
        var elsewhere = Docs.Put(Docs.BoolFlag("x"));
        elsewhere.Environment = "no-such-env";
        await RefusedAsync(server.Admin.PutDocumentAsync(elsewhere).ResponseAsync, StatusCode.NotFound);

        Assert.That(killed.Revision, Is.EqualTo(4));
        Assert.That(recorder.Sum("flagkit.server.writes", (ServerMetrics.EnvironmentTag, Env), (ServerMetrics.ActionTag, "PutDocument")), Is.EqualTo(3));
        Assert.That(recorder.Sum("flagkit.server.writes", (ServerMetrics.EnvironmentTag, Env), (ServerMetrics.ActionTag, "SetFlagState")), Is.EqualTo(1));
        Assert.That(recorder.Sum("flagkit.server.writes"), Is.EqualTo(4), "refused writes are not counted as writes");
        var durations = recorder.Values("flagkit.server.write.duration", (ServerMetrics.EnvironmentTag, Env));
        Assert.That(durations, Has.Count.EqualTo(4));
        Assert.That(durations, Has.All.GreaterThan(0).And.All.LessThan(60), "seconds from request to durable commit");
        Assert.That(recorder.Sum("flagkit.server.write.refusals", (ServerMetrics.EnvironmentTag, Env), (ServerMetrics.RefusalTag, "conflict")), Is.EqualTo(1));
        Assert.That(recorder.Sum("flagkit.server.write.refusals", (ServerMetrics.EnvironmentTag, Env), (ServerMetrics.RefusalTag, "invalid")), Is.EqualTo(1));
        Assert.That(
            recorder.Sum("flagkit.server.write.refusals", (ServerMetrics.EnvironmentTag, ServerMetrics.UnknownEnvironment), (ServerMetrics.RefusalTag, "not_found"), (ServerMetrics.ActionTag, "PutDocument")),
            Is.EqualTo(1), "a name a client made up never becomes a tag value");
    }

    [Test]
    public async Task SyncStreams_SdkConnectsAndLeaves_GaugeFollowsPerEnvironment()
    {
        var (server, recorder) = await StartAsync();
        await server.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = "staging" });
        Assert.That(recorder.Observe("flagkit.server.sync.streams", (ServerMetrics.EnvironmentTag, Env)), Is.Zero);

        var client = await ConnectSdkAsync(server);
        using var raw = await SyncStream.OpenAsync(server.CreateSyncClient(TestFlagServer.AdminKey), instanceId: "raw", environment: Env);
        await raw.ReadWelcomeAndFirstBatchAsync();

        Assert.That(recorder.Observe("flagkit.server.sync.streams", (ServerMetrics.EnvironmentTag, Env)), Is.EqualTo(2));
        Assert.That(recorder.Observe("flagkit.server.sync.streams", (ServerMetrics.EnvironmentTag, "staging")), Is.Zero);

        _disposables.Remove(client);
        await client.DisposeAsync();
        raw.Dispose();
        await SyncWait.UntilAsync(() => recorder.Observe("flagkit.server.sync.streams", (ServerMetrics.EnvironmentTag, Env)) == 0, "both streams are gone");
        Assert.That(recorder.Sum("flagkit.server.sync.dropped"), Is.Zero, "leaving is not being dropped");
    }

    [Test]
    public async Task Dropped_ReaderFallsBehindAndKeyRevoked_CountedByReason()
    {
        var (server, recorder) = await StartAsync(new() { ["FlagKit:Server:SubscriberQueueCapacity"] = "4" });
        var key = await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "doomed", Role = ApiKeyRole.Sdk, Environment = Env });
        using var revoked = await SyncStream.OpenAsync(server.CreateSyncClient(key.Secret), instanceId: "revoked");
        await revoked.ReadWelcomeAndFirstBatchAsync();
        using var slow = await SyncStream.OpenAsync(server.CreateSyncClient(), instanceId: "slow");
        await slow.ReadWelcomeAndFirstBatchAsync();
        var hub = server.GetService<FlagKit.Server.Sync.HubRegistry>().Hubs.Single(h => h.Environment == Env);

        await server.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = key.Key.Id });
        var description = new string('x', 60_000);
        for (var writes = 0; hub.DroppedSubscribers == 0 && writes < 200; writes++)
        {
            await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("big").Replace("\"kind\"", $"\"description\": \"{description}{writes}\", \"kind\"")));
        }

        Assert.That(hub.DroppedSubscribers, Is.EqualTo(1), "the slow reader fell behind");
        await SyncWait.UntilAsync(() => recorder.Sum("flagkit.server.sync.dropped") == 2, "both ends are counted");
        Assert.That(recorder.Sum("flagkit.server.sync.dropped", (ServerMetrics.EnvironmentTag, Env), (ServerMetrics.DropReasonTag, "fell_behind")), Is.EqualTo(1));
        Assert.That(recorder.Sum("flagkit.server.sync.dropped", (ServerMetrics.EnvironmentTag, Env), (ServerMetrics.DropReasonTag, "revoked")), Is.EqualTo(1));
    }

    [Test]
    public async Task FanOut_TwoReadingStreams_OneSamplePerChangeWithinTheTimeTheyTookToGetIt()
    {
        var (server, recorder) = await StartAsync();
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("nobody-listens")));
        Assert.That(recorder.Values("flagkit.server.fanout.duration"), Is.Empty, "a change no stream takes is not sampled");

        using var a = await SyncStream.OpenAsync(server.CreateSyncClient(), instanceId: "a");
        using var b = await SyncStream.OpenAsync(server.CreateSyncClient(), instanceId: "b");
        await a.ReadWelcomeAndFirstBatchAsync();
        await b.ReadWelcomeAndFirstBatchAsync();
        for (var i = 0; i < 3; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var written = await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("watched-" + i)));
            var batchA = await a.ReadBatchAsync();
            var batchB = await b.ReadBatchAsync();
            var took = clock.Elapsed.TotalSeconds;
            Assert.That(batchA[^1].Transferred.Revision, Is.EqualTo(written.Revision));
            Assert.That(batchB[^1].Transferred.Revision, Is.EqualTo(written.Revision));
            await SyncWait.UntilAsync(() => recorder.Values("flagkit.server.fanout.duration").Count == i + 1, $"the fan-out of change {i} is recorded");
            Assert.That(recorder.Values("flagkit.server.fanout.duration", (ServerMetrics.EnvironmentTag, Env))[i], Is.GreaterThan(0).And.LessThanOrEqualTo(took));
        }
    }

    [Test]
    public async Task Releases_RunnerRegistersItsStates_GaugeReadsThemAtEachCollection()
    {
        var (server, recorder) = await StartAsync();
        var metrics = server.GetService<ServerMetrics>();
        Assert.That(recorder.Observe("flagkit.server.releases"), Is.Zero, "the release runner's own source: no release yet");

        var running = 2;
        metrics.ObserveReleases(() =>
        [
            new Measurement<int>(running, new KeyValuePair<string, object?>(ServerMetrics.ReleaseStateTag, "running")),
            new Measurement<int>(1, new KeyValuePair<string, object?>(ServerMetrics.ReleaseStateTag, "paused")),
        ]);

        Assert.That(recorder.Observe("flagkit.server.releases", (ServerMetrics.ReleaseStateTag, "running")), Is.EqualTo(2));
        Assert.That(recorder.Observe("flagkit.server.releases", (ServerMetrics.ReleaseStateTag, "paused")), Is.EqualTo(1));
        running = 0;
        Assert.That(recorder.Observe("flagkit.server.releases", (ServerMetrics.ReleaseStateTag, "running")), Is.Zero);
    }

    private async Task<(TestFlagServer Server, MetricsRecorder Recorder)> StartAsync(Dictionary<string, string?>? settings = null)
    {
        _server = await TestFlagServer.StartAsync(settings);
        _recorder = new MetricsRecorder(_server.GetService<ServerMetrics>().Meter);
        return (_server, _recorder);
    }

    private async Task<FlagClient> ConnectSdkAsync(TestFlagServer server)
    {
        var cache = Directory.CreateTempSubdirectory("flagkit-metrics-sdk-").FullName;
        _directories.Add(cache);
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = Env,
            AppName = "metrics-tests",
            AppVersion = "1.0.0",
            CacheDirectory = cache,
            StartTimeout = TimeSpan.FromSeconds(10),
        });
        var client = new FlagClient(source, new FlagClientOptions { StartTimeout = TimeSpan.FromSeconds(11) });
        _disposables.Add(client);
        await client.StartAsync();
        return client;
    }

    private static async Task RefusedAsync(Task call, StatusCode expected)
    {
        var refused = Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.That(refused!.StatusCode, Is.EqualTo(expected), refused.Status.Detail);
        await Task.CompletedTask;
    }
}
