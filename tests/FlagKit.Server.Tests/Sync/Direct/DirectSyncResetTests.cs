using Microsoft.Extensions.Logging;
using System.Buffers.Binary;
using FlagKit.Server.Sync;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// A client that resets its streams right after opening them, in a loop ("rapid reset", CVE-2023-44487): every handler
/// ends, the stream limit holds, nothing stays subscribed, and no handler's end is logged as a failure.
/// </summary>
public sealed class DirectSyncResetTests
{
    private const int Resets = 600;
    private readonly DirectSyncLogCapture _log = new();
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer()
    {
        _server = await TestFlagServer.StartAsync(configure: builder => builder.Logging.AddProvider(_log));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true)));
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task StreamsResetRightAfterOpening_HandlersEndLimitFreedNothingSubscribedNothingLoggedAsFailed()
    {
        var limit = _server.GetService<DirectSyncRouter>().MaxStreamsPerConnection;
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.WriteWindowUpdateAsync(0, 64 * 1024 * 1024);
        var id = 1;
        for (var i = 0; i < Resets; i++, id += 2)
        {
            // One write: the server reads the three frames at once, so the stream is closed before its handler starts.
            await client.WriteFramesAsync(
                (Http2FrameType.Headers, Http2Frame.EndHeaders, id, DirectSyncRawClient.SyncRequestBlock()),
                (Http2FrameType.Data, 0, id, DirectSyncRawClient.HelloMessage()),
                (Http2FrameType.RstStream, 0, id, [0, 0, 0, (byte)Http2ErrorCode.Cancel]));
            if (i % 50 == 0)
            {
                await client.ReadForAsync(TimeSpan.FromMilliseconds(10));
            }
        }

        var closed = await client.ReadForAsync(TimeSpan.FromSeconds(2));

        // Every handler ended: a full set of new streams is accepted, and only they are subscribed.
        var first = id;
        for (var i = 0; i < limit; i++, id += 2)
        {
            await client.OpenSyncAsync(id);
        }

        await client.ReadForAsync(TimeSpan.FromSeconds(3));
        var refused = client.Frames.Count(f => f.Frame.Type == Http2FrameType.RstStream && f.Frame.StreamId >= first);
        var welcomed = Enumerable.Range(0, limit).Count(i => client.Messages(first + (2 * i)).Count > 0);
        var subscribed = _server.GetService<HubRegistry>().Hubs.Sum(h => h.SubscriberCount);

        Assert.That(closed, Is.False, "the connection stays up");
        Assert.That(refused, Is.Zero, "no new stream refused: the reset streams' handlers ended");
        Assert.That(welcomed, Is.EqualTo(limit));
        Assert.That(subscribed, Is.EqualTo(limit), "the reset streams are not subscribed any more");
        Assert.That(_log.Errors, Is.Empty, "a stream the client reset is not a handler failure");
    }

    [Test]
    public async Task MoreStreamsThanTheLimitWithoutReset_TheOnesOverTheLimitRefused()
    {
        var limit = _server.GetService<DirectSyncRouter>().MaxStreamsPerConnection;
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.WriteWindowUpdateAsync(0, 64 * 1024 * 1024);
        for (var i = 0; i < limit + 5; i++)
        {
            await client.OpenSyncAsync(1 + (2 * i));
        }

        await client.ReadForAsync(TimeSpan.FromSeconds(3));
        var refused = client.Frames
            .Where(f => f.Frame.Type == Http2FrameType.RstStream && (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(f.Payload) == Http2ErrorCode.RefusedStream)
            .Select(f => f.Frame.StreamId).ToList();

        Assert.That(refused, Is.EqualTo(Enumerable.Range(limit, 5).Select(i => 1 + (2 * i))));
    }
}
