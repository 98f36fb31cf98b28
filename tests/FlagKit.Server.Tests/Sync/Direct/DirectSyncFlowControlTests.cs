using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Sync.Direct;
using Google.Protobuf;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// Flow control on the direct Sync path with a snapshot far larger than the client's 65 535-byte initial windows: a
/// real client (SocketsHttpHandler) gets it whole; a raw client that gives no window back gets exactly the windows'
/// worth, the rest waits (bounded: the one message written), other streams with a window go on, and SETTINGS changes of
/// the initial window mid-stream move the waiting stream's window as RFC 9113 section 6.9.2 says.
/// </summary>
public sealed class DirectSyncFlowControlTests
{
    private const int FlagCount = 2000;
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer()
    {
        _server = await TestFlagServer.StartAsync();
        await _server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = TestFlagServer.Environment, FileJson = ManyFlags(FlagCount) });
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task SnapshotManyTimesTheWindow_SocketsHttpHandler_ArrivesWhole()
    {
        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());

        var (_, batch) = await stream.ReadWelcomeAndFirstBatchAsync();

        Assert.That(batch.Where(m => m.KindCase == SyncResponse.KindOneofCase.Snapshot).Sum(m => m.Snapshot.Documents.Count), Is.EqualTo(FlagCount));
        Assert.That(batch.Sum(m => m.CalculateSize()), Is.GreaterThan(4 * Http2Frame.DefaultWindow), "the snapshot is several windows long");
        Assert.That(_server.GetService<DirectSyncRouter>().ConnectionsServed, Is.EqualTo(1));
    }

    [Test]
    public async Task PeerSendsNoWindowUpdate_ExactlyTheConnectionWindowIsSentAndTheConnectionStillAnswers()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.OpenSyncAsync(1);
        await client.OpenSyncAsync(3);

        var closed = await client.ReadForAsync(TimeSpan.FromSeconds(2));
        byte[] ping = [9, 8, 7, 6, 5, 4, 3, 2];
        await client.WriteFrameAsync(Http2FrameType.Ping, 0, 0, ping);
        var (_, answer) = await client.ReadUntilAsync(f => f.Type == Http2FrameType.Ping);

        Assert.That(closed, Is.False);
        Assert.That(client.DataReceived(1) + client.DataReceived(3), Is.EqualTo(Http2Frame.DefaultWindow), "never past the connection window");
        Assert.That(answer, Is.EqualTo(ping), "the read loop is not held by the waiting streams");
    }

    [Test]
    public async Task StreamWindowShut_OtherStreamWithAWindowGetsItsWholeSnapshot()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.WriteWindowUpdateAsync(0, 64 * 1024 * 1024);
        await client.OpenSyncAsync(1);
        await client.ReadForAsync(TimeSpan.FromSeconds(1));
        await client.OpenSyncAsync(3);
        await client.WriteWindowUpdateAsync(3, 64 * 1024 * 1024);

        await client.ReadUntilAsync(_ => client.Messages(3).Any(m => m.KindCase == SyncResponse.KindOneofCase.Transferred), TimeSpan.FromSeconds(15));

        Assert.That(client.DataReceived(1), Is.EqualTo(Http2Frame.DefaultWindow), "stream 1 waits for its window");
        Assert.That(client.Messages(3).Where(m => m.KindCase == SyncResponse.KindOneofCase.Snapshot).Sum(m => m.Snapshot.Documents.Count), Is.EqualTo(FlagCount));
    }

    [Test]
    public async Task InitialWindowSettingChangedMidStream_NegativeWindowHonouredThenTheRestFlows()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.WriteWindowUpdateAsync(0, 64 * 1024 * 1024);
        await client.OpenSyncAsync(1);
        await client.ReadForAsync(TimeSpan.FromSeconds(1));
        var before = client.DataReceived(1);

        // Window 65 535 all used; the initial window drops to 0 (the stream's window goes to -65 535), then a
        // WINDOW_UPDATE of 65 535 brings it back to 0 only: nothing may be sent.
        await client.WriteSettingsAsync((0x4, 0));
        await client.WriteWindowUpdateAsync(1, Http2Frame.DefaultWindow);
        await client.ReadForAsync(TimeSpan.FromSeconds(1));
        var atZero = client.DataReceived(1);

        await client.WriteSettingsAsync((0x4, 16 * 1024 * 1024));
        await client.ReadUntilAsync(_ => client.Messages(1).Any(m => m.KindCase == SyncResponse.KindOneofCase.Transferred), TimeSpan.FromSeconds(15));

        Assert.That(before, Is.EqualTo(Http2Frame.DefaultWindow));
        Assert.That(atZero, Is.EqualTo(before), "a window brought back to 0 sends nothing");
        Assert.That(client.Messages(1).Where(m => m.KindCase == SyncResponse.KindOneofCase.Snapshot).Sum(m => m.Snapshot.Documents.Count), Is.EqualTo(FlagCount));
    }

    [Test]
    public async Task PeerSendsNoWindowUpdateWhileChangesPileUp_StreamDroppedAndNothingOfItKept()
    {
        await _server.DisposeAsync();
        _server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:SubscriberQueueCapacity"] = "2" });
        await _server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = TestFlagServer.Environment, FileJson = ManyFlags(FlagCount) });
        var hubs = _server.GetService<FlagKit.Server.Sync.HubRegistry>();
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.OpenSyncAsync(1);
        await client.ReadForAsync(TimeSpan.FromSeconds(1));
        var subscribed = hubs.Hubs.Sum(h => h.SubscriberCount);

        // Each write is a batch for the stuck subscriber: its queue (2) overflows, it is ended, and its writer, held by
        // a flush that waits for a window that never opens, is released by the stream's abort.
        for (var i = 0; i < 5; i++)
        {
            await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag($"extra-{i}", on: true)));
        }

        var (_, reset) = await client.ReadUntilAsync(f => f.Type == Http2FrameType.RstStream && f.StreamId == 1, TimeSpan.FromSeconds(10));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (hubs.Hubs.Sum(h => h.SubscriberCount) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.That(subscribed, Is.EqualTo(1));
        Assert.That((Http2ErrorCode)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(reset), Is.EqualTo(Http2ErrorCode.Cancel));
        Assert.That(hubs.Hubs.Sum(h => h.SubscriberCount), Is.Zero);
        Assert.That(client.DataReceived(1), Is.EqualTo(Http2Frame.DefaultWindow));
    }

    private static ByteString ManyFlags(int count)
    {
        var pad = new string('x', 100);
        var json = new StringBuilder("""{ "schema": 1, "flags": [""");
        for (var i = 0; i < count; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(System.Globalization.CultureInfo.InvariantCulture, $$"""
                { "key": "f{{i:D4}}", "kind": "bool", "on": true, "description": "{{pad}}",
                  "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }
                """);
        }

        return ByteString.CopyFromUtf8(json.Append("] }").ToString());
    }
}
