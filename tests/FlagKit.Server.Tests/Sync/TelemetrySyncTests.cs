using FlagKit.Protocol.V1;
using FlagKit.Server.Releases;
using FlagKit.Server.Sync;
using FlagKit.Sources;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// SDK telemetry over the sync stream, end to end: a real server on loopback, the real SDK (GrpcFlagSource), the
/// negotiation in Hello/Welcome both ways, the bounds, and the reports that reach the release inbox.
/// </summary>
public sealed class TelemetrySyncTests
{
    private const string Checkout = """
        { "key": "checkout-v2", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off",
          "targets": { "on": ["treated"] }, "defaultRule": { "variant": "off" } }
        """;

    private static readonly EvaluationContext Treated = EvaluationContext.ForAccount("treated");
    private static readonly EvaluationContext Other = EvaluationContext.ForAccount("other");
    private readonly List<IAsyncDisposable> _disposables = [];

    [TearDown]
    public async Task TearDown()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        _disposables.Clear();
    }

    [Test]
    public async Task RealSdk_WatchedFlag_InboxReceivesPerVariantCountsAndHistogram()
    {
        var server = await StartServerAsync();
        await PutAsync(server, Checkout);
        await PutAsync(server, Checkout.Replace("checkout-v2", "unwatched", StringComparison.Ordinal));
        var inbox = server.GetService<ReleaseReportInbox>();
        inbox.Watch(TestFlagServer.Environment, "checkout-v2");
        var time = new FakeTimeProvider();
        var (client, source) = await ConnectAsync(server, time);

        for (var i = 0; i < 30; i++)
        {
            client.IsEnabled("checkout-v2", Treated);
            client.IsEnabled("unwatched", Treated);
        }

        for (var i = 0; i < 20; i++)
        {
            client.IsEnabled("checkout-v2", Other);
        }

        for (var i = 0; i < 12; i++)
        {
            client.RecordOutcome("checkout-v2", Treated, success: i >= 2, TimeSpan.FromMilliseconds(i >= 2 ? 30 : 200));
        }

        for (var i = 0; i < 5; i++)
        {
            client.RecordOutcome("checkout-v2", Other, success: true, TimeSpan.FromMilliseconds(20));
        }

        time.Advance(TimeSpan.FromSeconds(10));
        var reports = await TakeAsync(inbox, "checkout-v2", variants: 2);

        var on = reports.Single(r => r.Variant == "on");
        var off = reports.Single(r => r.Variant == "off");
        Assert.That(reports.Select(r => r.Instance).Distinct(), Is.EqualTo(new[] { source.InstanceId }));
        Assert.That((on.Exposures, on.Requests, on.Failures), Is.EqualTo((30L, 12L, 2L)));
        Assert.That((off.Exposures, off.Requests, off.Failures), Is.EqualTo((20L, 5L, 0L)));
        Assert.That(on.Latency.Count, Is.EqualTo(12));
        Assert.That(on.Latency.Percentile(0.5), Is.EqualTo(30).Within(2).Percent);
        Assert.That(on.Latency.Percentile(0.99), Is.EqualTo(200).Within(2).Percent);
        Assert.That(off.Latency.Percentile(0.95), Is.EqualTo(20).Within(2).Percent);
        Assert.That(reports.All(r => r.Problem() is null), Is.True);
        Assert.That(inbox.Take(TestFlagServer.Environment, "unwatched"), Is.Empty, "a flag no release watches is not kept");
        Assert.That(server.GetService<TelemetryIngest>().Summaries, Is.EqualTo(1));
    }

    [Test]
    public async Task ServerAway_IntervalsDroppedAndCounted_EvaluationGoesOnThenSendingResumes()
    {
        var server = await StartServerAsync();
        await PutAsync(server, Checkout);
        var inbox = server.GetService<ReleaseReportInbox>();
        inbox.Watch(TestFlagServer.Environment, "checkout-v2");
        var time = new FakeTimeProvider();
        var (client, source) = await ConnectAsync(server, time);

        await server.StopAsync();
        await SyncWait.UntilAsync(() => !source.TelemetryQueue.Accepting, "the SDK sees the stream end");
        client.IsEnabled("checkout-v2", Treated);
        time.Advance(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.That(source.TelemetryQueue.Dropped, Is.EqualTo(2));
        Assert.That(client.IsEnabled("checkout-v2", Treated), Is.True, "evaluation serves the last snapshot meanwhile");

        await server.RestartAsync();
        inbox = server.GetService<ReleaseReportInbox>();
        inbox.Watch(TestFlagServer.Environment, "checkout-v2");
        await SyncWait.UntilAsync(() => source.TelemetryQueue.Accepting, "the SDK reconnects to a server that takes telemetry");
        client.IsEnabled("checkout-v2", Other);
        time.Advance(TimeSpan.FromSeconds(10));
        var reports = await TakeAsync(inbox, "checkout-v2", variants: 2);

        // The exposure before the drops is gone with its interval; the one of the Assert above and the one after the
        // return are in the interval sent.
        Assert.That(reports.Select(r => (r.Variant, r.Exposures)), Is.EquivalentTo(new[] { ("on", 1L), ("off", 1L) }));
        Assert.That(source.TelemetryQueue.Sent, Is.EqualTo(1));
    }

    [Test]
    public async Task NewSdk_ServerThatDoesNotAnnounceTelemetry_SendsNothingAndFlagsStillSync()
    {
        var kinds = new List<SyncRequest.KindOneofCase>();
        await using var scripted = await ScriptedSyncServer.StartAsync(async session =>
        {
            // An older server: its Welcome has no telemetry fields (proto3 zero).
            await session.WelcomeAsync(serverRevision: 1);
            await session.SendAsync(new SyncResponse { Snapshot = new Snapshot { Revision = 1, Documents = { new Document { Kind = DocumentKind.Flag, Key = "checkout-v2", Json = ByteString.CopyFromUtf8(Checkout) } } } });
            await session.TransferredAsync(1);
            await session.ReadAckAsync();
            lock (kinds)
            {
                kinds.Add(SyncRequest.KindOneofCase.Ack);
            }

            await session.HoldAsync();
        });
        var time = new FakeTimeProvider();
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions { ServerUrl = scripted.Url, ApiKey = "any", Environment = TestFlagServer.Environment });
        var client = new FlagClient(source, new FlagClientOptions { TimeProvider = time });
        _disposables.Add(client);
        await client.StartAsync();
        await SyncWait.UntilAsync(() => client.Status == FlagClientStatus.Ready, "the SDK syncs from the older server");

        client.IsEnabled("checkout-v2", Treated);
        time.Advance(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));
        var hello = await scripted.Hellos.Reader.ReadAsync();

        Assert.That(hello.TelemetryVersions, Is.EqualTo(new[] { 1 }), "the SDK offers telemetry");
        Assert.That(source.TelemetryQueue.Accepting, Is.False);
        Assert.That(source.TelemetryQueue.Dropped, Is.EqualTo(2), "nothing sent to a server that did not take it; each interval counted");
        Assert.That(source.TelemetryQueue.Sent, Is.Zero);
        Assert.That(client.IsEnabled("checkout-v2", Treated), Is.True);
    }

    [Test]
    public async Task OldStyleHello_WithoutTelemetry_WelcomeOffersNoneAndAStraySummaryIsIgnored()
    {
        var server = await StartServerAsync();
        var revision = await PutAsync(server, Checkout);
        using var stream = await SyncStream.OpenAsync(server.CreateSyncClient(), instanceId: "old-sdk");
        var (welcome, _) = await stream.ReadWelcomeAndFirstBatchAsync();

        await stream.Call.RequestStream.WriteAsync(new SyncRequest { Telemetry = Summary(Variant("checkout-v2", "on", 3, 1, 0)) });
        await stream.AckAsync(revision);
        await SyncWait.UntilAsync(() => server.GetService<TelemetryIngest>().Ignored == 1, "the stray summary is read");
        await SyncWait.UntilAsync(() => server.Admin.ListInstances(new ListInstancesRequest()).Instances.Any(i => i.InstanceId == "old-sdk" && i.AckedRevision == revision), "the stream goes on: the Ack after it is recorded");

        Assert.That((welcome.TelemetryVersion, welcome.MaxTelemetryVariants), Is.EqualTo((0, TelemetryIngest.MaxVariantsPerSummary)));
        Assert.That(server.GetService<TelemetryIngest>().Summaries, Is.Zero);
    }

    [TestCase("failures", "variants[0].failures: 5 is not in 0..requests (2)")]
    [TestCase("negative", "variants[0]: exposures (-1)")]
    [TestCase("buckets", "variants[0].latency.buckets[1]: 140 is not in 0..358 above the bucket before")]
    [TestCase("layout", "variants[0].latency.layout_version: 2")]
    [TestCase("too-many", "variants has 257 entries; the limit is 256")]
    public async Task Summary_OverABound_StreamRefusedNamingTheField(string fault, string expected)
    {
        var server = await StartServerAsync();
        await PutAsync(server, Checkout);
        server.GetService<ReleaseReportInbox>().Watch(TestFlagServer.Environment, "checkout-v2");
        using var call = server.CreateSyncClient().Sync();
        await call.RequestStream.WriteAsync(new SyncRequest { Hello = TelemetryHello("bounds") });
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True);
        Assert.That(call.ResponseStream.Current.Welcome.TelemetryVersion, Is.EqualTo(1));

        var summary = fault switch
        {
            "failures" => Summary(Variant("checkout-v2", "on", 1, 2, 5)),
            "negative" => Summary(Variant("checkout-v2", "on", -1, 0, 0)),
            "buckets" => Summary(Variant("checkout-v2", "on", 1, 2, 0, (150, 1), (140, 1))),
            "layout" => Summary(Variant("checkout-v2", "on", 1, 1, 0, (150, 1))),
            _ => Summary([.. Enumerable.Range(0, 257).Select(i => Variant("checkout-v2", "v" + i, 1, 0, 0))]),
        };
        if (fault == "layout")
        {
            summary.Variants[0].Latency.LayoutVersion = 2;
        }

        await call.RequestStream.WriteAsync(new SyncRequest { Telemetry = summary });
        var ended = await ReadToEndAsync(call);

        Assert.That(ended?.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ended?.Status.Detail, Does.Contain("TelemetrySummary." + expected.Split('.')[0]).Or.Contain(expected));
        Assert.That(ended?.Status.Detail, Does.Contain(expected));
        Assert.That(server.GetService<ReleaseReportInbox>().Take(TestFlagServer.Environment, "checkout-v2"), Is.Empty, "nothing of a refused summary is posted");
    }

    [Test]
    public async Task RawSummary_WithinBounds_PostedAsReleaseReports()
    {
        var server = await StartServerAsync();
        await PutAsync(server, Checkout);
        var inbox = server.GetService<ReleaseReportInbox>();
        inbox.Watch(TestFlagServer.Environment, "checkout-v2");
        using var call = server.CreateSyncClient().Sync();
        await call.RequestStream.WriteAsync(new SyncRequest { Hello = TelemetryHello("raw-1") });
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True);

        await call.RequestStream.WriteAsync(new SyncRequest { Telemetry = Summary(Variant("checkout-v2", "on", 100, 10, 1, (140, 4), (150, 6)), Variant("checkout-v2", "off", 90, 0, 0)) });
        var reports = await TakeAsync(inbox, "checkout-v2", variants: 2);

        var on = reports.Single(r => r.Variant == "on");
        Assert.That((on.Instance, on.Exposures, on.Requests, on.Failures), Is.EqualTo(("raw-1", 100L, 10L, 1L)));
        Assert.That((on.Latency[140], on.Latency[150], on.Latency.Count), Is.EqualTo((4L, 6L, 10L)));
        Assert.That(reports.Single(r => r.Variant == "off").Latency.Count, Is.Zero);
    }

    private async Task<TestFlagServer> StartServerAsync()
    {
        var server = await TestFlagServer.StartAsync();
        _disposables.Add(server);
        return server;
    }

    private async Task<(FlagClient Client, GrpcFlagSource Source)> ConnectAsync(TestFlagServer server, TimeProvider telemetryTime)
    {
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = TestFlagServer.Environment,
            AppName = "telemetry-tests",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(300),
        });
        var client = new FlagClient(source, new FlagClientOptions { TimeProvider = telemetryTime });
        _disposables.Insert(0, client);
        await client.StartAsync();
        await SyncWait.UntilAsync(() => client.Status == FlagClientStatus.Ready && source.TelemetryQueue.Accepting, "the SDK is ready and the server takes telemetry");
        return (client, source);
    }

    private static async Task<long> PutAsync(TestFlagServer server, string json) =>
        (await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8(json),
            Options = new FlagKit.Protocol.V1.WriteOptions { Comment = "telemetry test" },
        })).Revision;

    private static async Task<List<ReleaseReport>> TakeAsync(ReleaseReportInbox inbox, string flag, int variants)
    {
        var reports = new List<ReleaseReport>();
        await SyncWait.UntilAsync(
            () =>
            {
                reports.AddRange(inbox.Take(TestFlagServer.Environment, flag));
                return reports.Select(r => r.Variant).Distinct().Count() >= variants;
            },
            $"{variants} variants of '{flag}' reach the inbox");
        return reports;
    }

    private static Hello TelemetryHello(string instance) => new()
    {
        SdkName = "raw",
        SdkVersion = "1.0.0",
        InstanceId = instance,
        Environment = TestFlagServer.Environment,
        ProtocolVersions = { 1 },
        SchemaVersions = { 1 },
        TelemetryVersions = { 1 },
    };

    private static TelemetrySummary Summary(params TelemetryVariant[] variants) => new() { IntervalMs = 10_000, Variants = { variants } };

    private static TelemetryVariant Variant(string flag, string variant, long exposures, long requests, long failures, params (int Bucket, long Count)[] latency)
    {
        var v = new TelemetryVariant { Flag = flag, Variant = variant, Exposures = exposures, Requests = requests, Failures = failures, Latency = new TelemetryHistogram { LayoutVersion = 1 } };
        foreach (var (bucket, count) in latency)
        {
            v.Latency.Buckets.Add(bucket);
            v.Latency.Counts.Add(count);
        }

        return v;
    }

    private static async Task<RpcException?> ReadToEndAsync(AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call)
    {
        using var deadline = new CancellationTokenSource(SyncWait.Deadline);
        try
        {
            while (await call.ResponseStream.MoveNext(deadline.Token))
            {
            }
        }
        catch (RpcException e)
        {
            return e;
        }

        return null;
    }
}
