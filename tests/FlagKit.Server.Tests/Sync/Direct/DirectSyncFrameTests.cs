using System.Buffers.Binary;
using System.Diagnostics;
using FlagKit.Protocol.V1;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// HEADERS / CONTINUATION edge cases, trailers from the client, DATA after END_STREAM and frames on idle streams, on
/// the direct Sync path (RFC 9113 sections 5.1, 6.2, 6.10), spoken over a raw socket.
/// </summary>
public sealed class DirectSyncFrameTests
{
    private TestFlagServer _server = null!;
    private DirectSyncRawClient _client = null!;

    [SetUp]
    public async Task Connect()
    {
        _server = await TestFlagServer.StartAsync();
        _client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await _client.WriteWindowUpdateAsync(0, 16 * 1024 * 1024);
    }

    [TearDown]
    public async Task Disconnect()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task RequestHeadersSplitOverContinuationFrames_StreamServed()
    {
        var block = DirectSyncRawClient.SyncRequestBlock();
        await _client.WriteFramesAsync(
            (Http2FrameType.Headers, 0, 1, block[..10]),
            (Http2FrameType.Continuation, 0, 1, block[10..40]),
            (Http2FrameType.Continuation, Http2Frame.EndHeaders, 1, block[40..]),
            (Http2FrameType.Data, 0, 1, DirectSyncRawClient.HelloMessage()));

        await _client.ReadUntilAsync(_ => _client.Messages(1).Any(m => m.KindCase == SyncResponse.KindOneofCase.Transferred));

        Assert.That(_client.Messages(1)[0].KindCase, Is.EqualTo(SyncResponse.KindOneofCase.Welcome));
    }

    [Test]
    public async Task ContinuationWithoutHeaders_GoAwayProtocolError()
    {
        await _client.WriteFrameAsync(Http2FrameType.Continuation, Http2Frame.EndHeaders, 1, DirectSyncRawClient.SyncRequestBlock());

        Assert.That(await GoAwayCodeAsync(), Is.EqualTo(Http2ErrorCode.ProtocolError));
    }

    [Test]
    public async Task OtherFrameInsideAHeaderBlock_GoAwayProtocolError()
    {
        var block = DirectSyncRawClient.SyncRequestBlock();
        await _client.WriteFramesAsync(
            (Http2FrameType.Headers, 0, 1, block[..10]),
            (Http2FrameType.Ping, 0, 0, new byte[8]));

        Assert.That(await GoAwayCodeAsync(), Is.EqualTo(Http2ErrorCode.ProtocolError));
    }

    [Test]
    public async Task DataOnAnIdleStream_GoAwayProtocolError()
    {
        await _client.OpenSyncAsync(1);
        await _client.WriteFrameAsync(Http2FrameType.Data, 0, 7, DirectSyncRawClient.HelloMessage());

        Assert.That(await GoAwayCodeAsync(), Is.EqualTo(Http2ErrorCode.ProtocolError));
    }

    [TestCase(2)]
    [TestCase(1)]
    public async Task HeadersOpeningAStreamThatIsNotANewClientStream_GoAwayProtocolError(int second)
    {
        await _client.OpenSyncAsync(3);
        await _client.WriteFrameAsync(Http2FrameType.Headers, Http2Frame.EndHeaders, second, DirectSyncRawClient.SyncRequestBlock());

        Assert.That(await GoAwayCodeAsync(), Is.EqualTo(Http2ErrorCode.ProtocolError));
    }

    [Test]
    public async Task TrailersFromTheClient_EndTheRequestSideAndTheStreamEndsConnectionLives()
    {
        await _client.OpenSyncAsync(1);
        await _client.ReadUntilAsync(_ => _client.Messages(1).Any(m => m.KindCase == SyncResponse.KindOneofCase.Transferred));
        await _client.WriteFrameAsync(Http2FrameType.Headers, Http2Frame.EndHeaders | Http2Frame.EndStream, 1, []);

        await _client.ReadUntilAsync(f => f.StreamId == 1 && (f.Type == Http2FrameType.RstStream || f.Has(Http2Frame.EndStream)));
        await AssertConnectionAnswersAsync();
    }

    [Test]
    public async Task TrailersWithoutEndStream_StreamResetProtocolError()
    {
        await _client.OpenSyncAsync(1);
        await _client.WriteFrameAsync(Http2FrameType.Headers, Http2Frame.EndHeaders, 1, []);

        Assert.That(await ResetCodeAsync(1), Is.EqualTo(Http2ErrorCode.ProtocolError));
        await AssertConnectionAnswersAsync();
    }

    [Test]
    public async Task DataAfterEndStream_StreamResetStreamClosed()
    {
        await _client.WriteFramesAsync(
            (Http2FrameType.Headers, Http2Frame.EndHeaders, 1, DirectSyncRawClient.SyncRequestBlock()),
            (Http2FrameType.Data, Http2Frame.EndStream, 1, DirectSyncRawClient.HelloMessage()),
            (Http2FrameType.Data, 0, 1, DirectSyncRawClient.HelloMessage()));

        Assert.That(await ResetCodeAsync(1), Is.EqualTo(Http2ErrorCode.StreamClosed));
        await AssertConnectionAnswersAsync();
    }

    [Test]
    public async Task HeadersAfterEndStream_StreamResetStreamClosed()
    {
        await _client.WriteFramesAsync(
            (Http2FrameType.Headers, Http2Frame.EndHeaders, 1, DirectSyncRawClient.SyncRequestBlock()),
            (Http2FrameType.Data, Http2Frame.EndStream, 1, DirectSyncRawClient.HelloMessage()),
            (Http2FrameType.Headers, Http2Frame.EndHeaders | Http2Frame.EndStream, 1, []));

        Assert.That(await ResetCodeAsync(1), Is.EqualTo(Http2ErrorCode.StreamClosed));
        await AssertConnectionAnswersAsync();
    }

    [Test]
    public async Task StreamOpenedThenAConnectionErrorInTheSameRead_ConnectionClosedWithoutWaitingForAHandlerThatNeverRan()
    {
        var watch = Stopwatch.StartNew();
        await _client.WriteFramesAsync(
            (Http2FrameType.Headers, Http2Frame.EndHeaders, 1, DirectSyncRawClient.SyncRequestBlock()),
            (Http2FrameType.Data, 0, 1, DirectSyncRawClient.HelloMessage()),
            (Http2FrameType.WindowUpdate, 0, 0, [0, 0, 0, 0]));

        var closed = await _client.ReadForAsync(TimeSpan.FromSeconds(15));

        Assert.That(closed, Is.True);
        Assert.That(_client.Frames.Any(f => f.Frame.Type == Http2FrameType.GoAway), Is.True);
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "closed at once, not after the 5 s wait for handlers");
    }

    private async Task<Http2ErrorCode> GoAwayCodeAsync()
    {
        var (_, payload) = await _client.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);
        return (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4));
    }

    private async Task<Http2ErrorCode> ResetCodeAsync(int streamId)
    {
        var (_, payload) = await _client.ReadUntilAsync(f => f.Type == Http2FrameType.RstStream && f.StreamId == streamId);
        return (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload);
    }

    private async Task AssertConnectionAnswersAsync()
    {
        byte[] ping = [1, 1, 2, 3, 5, 8, 13, 21];
        await _client.WriteFrameAsync(Http2FrameType.Ping, 0, 0, ping);
        var (_, answer) = await _client.ReadUntilAsync(f => f.Type == Http2FrameType.Ping && f.Has(Http2Frame.Ack));
        Assert.That(answer, Is.EqualTo(ping));
        Assert.That(_client.Frames.Any(f => f.Frame.Type == Http2FrameType.GoAway), Is.False, "no connection error");
    }
}
