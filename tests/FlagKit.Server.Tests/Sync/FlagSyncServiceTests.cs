using FlagKit.Protocol.V1;
using FlagKit.Server.Sync;
using Grpc.Core;

namespace FlagKit.Server.Tests.Sync;

public sealed class FlagSyncServiceTests
{
    private const string Env = TestFlagServer.Environment;
    private TestFlagServer _server = null!;

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task Sync_FreshSdk_GetsWelcomeThenSnapshotEndedByTransferred()
    {
        _server = await TestFlagServer.StartAsync();
        var write = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true)));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.Segment("vip", "acct-1"), DocumentKind.Segment));

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());
        var (welcome, batch) = await stream.ReadWelcomeAndFirstBatchAsync();

        Assert.That((welcome.ProtocolVersion, welcome.SchemaVersion, welcome.Environment, welcome.ServerRevision), Is.EqualTo((1, 1, Env, write.Revision + 1)));
        Assert.That(welcome.HeartbeatIntervalMs, Is.GreaterThan(0));
        Assert.That(batch.Select(m => m.KindCase), Is.EqualTo(new[] { SyncResponse.KindOneofCase.Snapshot, SyncResponse.KindOneofCase.Transferred }));
        Assert.That(batch[0].Snapshot.Documents.Select(d => (d.Kind, d.Key)), Is.EquivalentTo(new[] { (DocumentKind.Flag, "a"), (DocumentKind.Segment, "vip") }));
        Assert.That(batch[1].Transferred.Revision, Is.EqualTo(write.Revision + 1));
        Assert.That(batch[1].Transferred.ContentHash, Has.Length.EqualTo(64));
    }

    [Test]
    public async Task Sync_ChangeCommitted_SendsDeltaAndRecordsAck()
    {
        _server = await TestFlagServer.StartAsync();
        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(), instanceId: "game-7");
        var (_, first) = await stream.ReadWelcomeAndFirstBatchAsync();
        await stream.AckAsync(first[^1].Transferred.Revision);

        var write = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("flip", on: true)));
        var delta = await stream.ReadBatchAsync();
        await stream.AckAsync(write.Revision, new DocumentFailure { Kind = DocumentKind.Flag, Key = "x", Reason = "test" });

        Assert.That(delta[0].Delta.FromRevision, Is.EqualTo(write.PreviousRevision));
        Assert.That(delta[0].Delta.ToRevision, Is.EqualTo(write.Revision));
        Assert.That(delta[0].Delta.Upserts.Single().Key, Is.EqualTo("flip"));
        Assert.That(delta[^1].Transferred.Revision, Is.EqualTo(write.Revision));
        var instance = await PollAsync(async () =>
        {
            var list = await _server.Admin.ListInstancesAsync(new ListInstancesRequest { Environment = Env });
            return list.Instances.SingleOrDefault(i => i.InstanceId == "game-7" && i.AckedRevision == write.Revision);
        });
        Assert.That((instance.AppName, instance.SdkName, instance.FailedDocuments), Is.EqualTo(("server-tests", "raw-test-client", 1)));
    }

    [Test]
    public async Task Sync_ResumeFromLastRevision_GetsOnlyMissedChanges()
    {
        _server = await TestFlagServer.StartAsync();
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("unchanged-since")));
        var held = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a")));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true)));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("b")));
        var last = await _server.Admin.ArchiveDocumentAsync(new ArchiveDocumentRequest { Environment = Env, Kind = DocumentKind.Flag, Key = "b" });

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(), lastRevision: held.Revision);
        var (_, batch) = await stream.ReadWelcomeAndFirstBatchAsync();

        var delta = batch[0].Delta;
        Assert.That((delta.FromRevision, delta.ToRevision), Is.EqualTo((held.Revision, last.Revision)));
        Assert.That(delta.Upserts.Select(d => d.Key), Is.EqualTo(new[] { "a" }), "only the last state of what changed");
        Assert.That(delta.Upserts[0].Json.ToStringUtf8(), Does.Contain("\"on\":true"));
        Assert.That(delta.Removed.Select(r => r.Key), Is.EqualTo(new[] { "b" }));
        Assert.That(batch[^1].Transferred.Revision, Is.EqualTo(last.Revision));
    }

    [Test]
    public async Task Sync_ResumeAtCurrentRevision_GetsEmptyDelta()
    {
        _server = await TestFlagServer.StartAsync();
        var write = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a")));

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(), lastRevision: write.Revision);
        var (_, batch) = await stream.ReadWelcomeAndFirstBatchAsync();

        Assert.That(batch[0].Delta.Upserts, Is.Empty);
        Assert.That(batch[0].Delta.Removed, Is.Empty);
        Assert.That(batch[^1].Transferred.Revision, Is.EqualTo(write.Revision));
    }

    [Test]
    public async Task Sync_ResumeFromRevisionOlderThanChangeLog_GetsFullSnapshot()
    {
        _server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:ChangeLogCapacity"] = "2" });
        var old = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a")));
        for (var i = 0; i < 3; i++)
        {
            await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("b" + i)));
        }

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(), lastRevision: old.Revision);
        var (_, batch) = await stream.ReadWelcomeAndFirstBatchAsync();

        Assert.That(batch[0].KindCase, Is.EqualTo(SyncResponse.KindOneofCase.Snapshot));
        Assert.That(batch[0].Snapshot.Documents, Has.Count.EqualTo(4));
    }

    [Test]
    public async Task Sync_KillAmongOtherChanges_KillSentFirst()
    {
        _server = await TestFlagServer.StartAsync();
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("zz-wallet", on: true, tags: ["wallet"])));
        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());
        await stream.ReadWelcomeAndFirstBatchAsync();
        var file = $$"""{ "schema": 1, "flags": [ {{Docs.BoolFlag("aa-new")}}, {{Docs.BoolFlag("zz-wallet", on: true, killed: true, tags: ["wallet"])}} ] }""";

        await _server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = Env, FileJson = Google.Protobuf.ByteString.CopyFromUtf8(file) });
        var delta = await stream.ReadBatchAsync();

        Assert.That(delta[0].Delta.Upserts.Select(d => d.Key), Is.EqualTo(new[] { "zz-wallet", "aa-new" }));
    }

    [Test]
    public async Task Sync_NoCommonProtocolVersion_FailedPreconditionNamingBothSides()
    {
        _server = await TestFlagServer.StartAsync();

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(), protocols: [2, 3]);
        var error = Assert.ThrowsAsync<RpcException>(async () => await stream.ReadAsync());

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(error.Status.Detail, Does.Contain("server speaks [1]").And.Contain("SDK offers [2, 3]"));
    }

    [Test]
    public async Task Sync_NoCommonSchemaVersion_FailedPreconditionNamingBothSides()
    {
        _server = await TestFlagServer.StartAsync();

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(), schemas: [7]);
        var error = Assert.ThrowsAsync<RpcException>(async () => await stream.ReadAsync());

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(error.Status.Detail, Does.Contain("schema").And.Contain("[1]").And.Contain("[7]"));
    }

    [Test]
    public async Task Sync_HigherVersionsOffered_ChoosesHighestCommon()
    {
        _server = await TestFlagServer.StartAsync();

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(), protocols: [1, 2, 5]);
        var (welcome, _) = await stream.ReadWelcomeAndFirstBatchAsync();

        Assert.That(welcome.ProtocolVersion, Is.EqualTo(1));
    }

    [Test]
    public async Task Sync_IdleStream_GetsHeartbeats()
    {
        _server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:HeartbeatInterval"] = "00:00:00.050" });
        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());
        var (_, batch) = await stream.ReadWelcomeAndFirstBatchAsync();

        var next = await stream.ReadAsync();

        Assert.That(next!.KindCase, Is.EqualTo(SyncResponse.KindOneofCase.Heartbeat));
        Assert.That(next.Heartbeat.Revision, Is.EqualTo(batch[^1].Transferred.Revision));
    }

    [Test]
    public async Task Sync_SubscriberStopsReading_GetsResyncAndServerMemoryStaysBounded()
    {
        _server = await TestFlagServer.StartAsync(new Dictionary<string, string?>
        {
            ["FlagKit:Server:SubscriberQueueCapacity"] = "4",
            ["FlagKit:Server:ChangeLogCapacity"] = "16",
            // The dropped subscriber reads again only after the 40 writes below; on a loaded machine those can take
            // longer than the default 5 s the server waits for a final message before aborting the stream.
            ["FlagKit:Server:FinalMessageTimeout"] = "00:02:00",
        });
        var hub = _server.GetService<HubRegistry>().Hubs.Single(h => h.Environment == Env);
        using var slow = await SyncStream.OpenAsync(_server.CreateSyncClient(), instanceId: "slow");
        await slow.ReadWelcomeAndFirstBatchAsync();
        Assert.That(hub.SubscriberCount, Is.EqualTo(1));

        // Stop reading; write changes big enough to fill the HTTP/2 window and then the bounded queue.
        var description = new string('x', 60_000);
        var writes = 0;
        while (hub.DroppedSubscribers == 0 && writes < 200)
        {
            await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("big").Replace("\"kind\"", $"\"description\": \"{description}{writes}\", \"kind\"")));
            writes++;
        }

        Assert.That(hub.DroppedSubscribers, Is.EqualTo(1), $"dropped after {writes} writes");
        Assert.That(hub.SubscriberCount, Is.Zero, "the hub holds nothing for it any more");
        for (var i = 0; i < 40; i++)
        {
            await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("more" + i)));
        }

        Assert.That(hub.ChangeLogLength, Is.LessThanOrEqualTo(16));

        // Reading again, the SDK finds Resync after what was already in flight, then the end of the stream.
        SyncResponse? message;
        var seen = new List<SyncResponse.KindOneofCase>();
        do
        {
            message = await slow.ReadAsync();
            if (message is not null)
            {
                seen.Add(message.KindCase);
            }
        }
        while (message is not null && message.KindCase != SyncResponse.KindOneofCase.Resync);

        Assert.That(seen, Does.Contain(SyncResponse.KindOneofCase.Resync));
        slow.Dispose();
        var fresh = await SyncStream.OpenAsync(_server.CreateSyncClient(), instanceId: "slow");
        var (_, snapshot) = await fresh.ReadWelcomeAndFirstBatchAsync();
        Assert.That(snapshot[0].KindCase, Is.EqualTo(SyncResponse.KindOneofCase.Snapshot), "the resync'd SDK takes a full snapshot");
        fresh.Dispose();
    }

    [Test]
    public async Task Sync_ServerStops_SubscriberToldGoingAway()
    {
        _server = await TestFlagServer.StartAsync();
        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());
        await stream.ReadWelcomeAndFirstBatchAsync();

        var stopping = _server.StopAsync();
        var message = await stream.ReadSkippingHeartbeatsAsync();
        stream.Dispose();
        await stopping;

        Assert.That(message!.KindCase, Is.EqualTo(SyncResponse.KindOneofCase.GoingAway));
    }

    [Test]
    public async Task Sync_FirstMessageNotHello_InvalidArgument()
    {
        _server = await TestFlagServer.StartAsync();
        using var call = _server.CreateSyncClient().Sync();

        await call.RequestStream.WriteAsync(new SyncRequest { Ack = new Ack { Revision = 1 } });
        var error = Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
    }

    [Test]
    public async Task Sync_SnapshotLargerThanChunk_SpansSeveralMessagesOfOneRevision()
    {
        _server = await TestFlagServer.StartAsync(new Dictionary<string, string?>
        {
            ["FlagKit:Server:BatchChunkBytes"] = "4096",
            ["FlagKit:Server:MaxDocumentBytes"] = "4096",
        });
        var file = "{ \"schema\": 1, \"flags\": [" + string.Join(",", Enumerable.Range(0, 40).Select(i => Docs.BoolFlag($"f{i:00}"))) + "] }";
        var write = await _server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = Env, FileJson = Google.Protobuf.ByteString.CopyFromUtf8(file) });

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());
        var (_, batch) = await stream.ReadWelcomeAndFirstBatchAsync();

        var snapshots = batch.Where(m => m.KindCase == SyncResponse.KindOneofCase.Snapshot).ToList();
        Assert.That(snapshots, Has.Count.GreaterThan(1));
        Assert.That(snapshots.Select(s => s.Snapshot.Revision), Is.All.EqualTo(write.Revision));
        Assert.That(snapshots.Sum(s => s.Snapshot.Documents.Count), Is.EqualTo(40));
    }

    private static async Task<T> PollAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not hold within 10 s.");
            }

            await Task.Delay(20);
        }
    }
}
