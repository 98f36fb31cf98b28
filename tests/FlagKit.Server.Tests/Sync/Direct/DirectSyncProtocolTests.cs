using System.Buffers.Binary;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// The direct Sync path's HTTP/2 frame handling, spoken byte by byte over a real socket to a real server: what a
/// client that is not SocketsHttpHandler may send.
/// </summary>
public sealed class DirectSyncProtocolTests
{
    private TestFlagServer _server = null!;
    private DirectSyncRawClient _client = null!;

    [SetUp]
    public async Task Connect()
    {
        _server = await TestFlagServer.StartAsync();

        // Preface, empty SETTINGS, then a Sync request: the connection is served by the direct path.
        _client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await _client.OpenSyncAsync(1, hello: false);
    }

    [TearDown]
    public async Task Disconnect()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Ping_AnsweredWithAckAndTheSamePayload()
    {
        byte[] payload = [1, 2, 3, 4, 5, 6, 7, 8];
        await _client.WriteFrameAsync(Http2FrameType.Ping, 0, 0, payload);

        var (frame, body) = await _client.ReadUntilAsync(f => f.Type == Http2FrameType.Ping);

        Assert.That(frame.Flags & Http2Frame.Ack, Is.EqualTo(Http2Frame.Ack));
        Assert.That(body, Is.EqualTo(payload));
        Assert.That(_server.GetService<DirectSyncRouter>().ConnectionsServed, Is.EqualTo(1));
    }

    [Test]
    public async Task SyncRequest_AnsweredWithStatus200AndGrpcContentTypeHeaders()
    {
        var (frame, _) = await _client.ReadUntilAsync(f => f.Type == Http2FrameType.Headers && f.StreamId == 1);
        Assert.That(frame.Flags & Http2Frame.EndStream, Is.Zero, "the stream is accepted and stays open for Hello");
    }

    [Test]
    public async Task WindowUpdateOfZeroOnTheConnection_EndsItWithGoAwayProtocolError()
    {
        await _client.WriteFrameAsync(Http2FrameType.WindowUpdate, 0, 0, [0, 0, 0, 0]);

        var (_, body) = await _client.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);

        Assert.That((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(4)), Is.EqualTo(Http2ErrorCode.ProtocolError));
        Assert.That(System.Text.Encoding.UTF8.GetString(body.AsSpan(8)), Does.Contain("WINDOW_UPDATE"));
    }

    [Test]
    public async Task FrameLargerThanTheMaxFrameSize_EndsTheConnectionWithGoAwayFrameSizeError()
    {
        await _client.WriteFrameAsync(Http2FrameType.Data, 0, 1, new byte[Http2Frame.DefaultMaxFrameSize + 1]);

        var (_, body) = await _client.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);

        Assert.That((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(4)), Is.EqualTo(Http2ErrorCode.FrameSizeError));
    }

    [Test]
    public async Task CorruptHeaderBlock_EndsTheConnectionWithGoAwayCompressionError()
    {
        // Index 0 is never valid in HPACK.
        await _client.WriteFrameAsync(Http2FrameType.Headers, Http2Frame.EndHeaders, 3, [0x80]);

        var (_, body) = await _client.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);

        Assert.That((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(4)), Is.EqualTo(Http2ErrorCode.CompressionError));
    }
}
