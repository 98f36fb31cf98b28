using System.Buffers.Binary;
using System.Diagnostics;
using FlagKit.Protocol.V1;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// The server stops while direct Sync streams are open: each is told GoingAway and ends, the connection gets GOAWAY and
/// closes, and the stop does not wait for Kestrel's shutdown timeout.
/// </summary>
public sealed class DirectSyncShutdownTests
{
    private TestFlagServer _server = null!;

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task ServerStops_SdkStreamOnEitherPath_GoingAwayThenTheStopIsQuick([Values] bool direct)
    {
        _server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:DirectSyncConnections"] = direct ? "true" : "false" });
        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());
        await stream.ReadWelcomeAndFirstBatchAsync();

        var watch = Stopwatch.StartNew();
        var stopping = _server.StopAsync();
        var message = await stream.ReadSkippingHeartbeatsAsync();

        // The SDK closes its side on GoingAway; this client does not, so the server ends the stream after
        // FinalMessageTimeout (2 s here) on either path.
        stream.Dispose();
        await stopping;

        Assert.That(message!.KindCase, Is.EqualTo(SyncResponse.KindOneofCase.GoingAway));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "not held until Kestrel's shutdown timeout (15 s)");
    }

    [Test]
    public async Task ServerStops_RawConnectionWithTwoStreams_GoingAwayEndGoAwayAndTheConnectionCloses()
    {
        _server = await TestFlagServer.StartAsync();
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.WriteWindowUpdateAsync(0, 16 * 1024 * 1024);
        await client.OpenSyncAsync(1);
        await client.OpenSyncAsync(3);
        await client.ReadUntilAsync(_ => client.Messages(3).Any(m => m.KindCase == SyncResponse.KindOneofCase.Transferred));

        var stopping = _server.StopAsync();
        var closed = await client.ReadForAsync(TimeSpan.FromSeconds(10));
        await stopping;

        var goAway = client.Frames.Single(f => f.Frame.Type == Http2FrameType.GoAway);
        Assert.That(closed, Is.True, "the connection closes once its streams ended");
        Assert.That((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(goAway.Payload.AsSpan(4)), Is.EqualTo(Http2ErrorCode.NoError));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(goAway.Payload), Is.EqualTo(3), "the last stream it took");
        foreach (var id in new[] { 1, 3 })
        {
            Assert.That(client.Messages(id).Select(m => m.KindCase), Does.Contain(SyncResponse.KindOneofCase.GoingAway));
            Assert.That(client.Frames.Any(f => f.Frame.StreamId == id && (f.Frame.Type == Http2FrameType.RstStream || f.Frame.Has(Http2Frame.EndStream))), Is.True, $"stream {id} ended");
        }
    }

    [Test]
    public async Task ServerStops_ConnectionStillBeforeItsFirstRequest_StopNotHeldForThePeekTimeout()
    {
        _server = await TestFlagServer.StartAsync();
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.ReadUntilAsync(f => f.Type == Http2FrameType.Settings && !f.Has(Http2Frame.Ack));

        var watch = Stopwatch.StartNew();
        await _server.StopAsync();
        var closed = await client.ReadForAsync(TimeSpan.FromSeconds(5));

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(DirectSyncRouter.PeekTimeout.TotalSeconds / 2)), "the peek ends when the server asks the connection to close");
        Assert.That(closed, Is.True);
    }
}
