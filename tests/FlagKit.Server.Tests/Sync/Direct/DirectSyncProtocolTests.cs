using System.Buffers.Binary;
using System.Net.Sockets;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// The direct Sync path's HTTP/2 frame handling, spoken byte by byte over a real socket to a real server: what a
/// client that is not SocketsHttpHandler may send.
/// </summary>
public sealed class DirectSyncProtocolTests
{
    private TestFlagServer _server = null!;
    private TcpClient _tcp = null!;
    private NetworkStream _socket = null!;

    [SetUp]
    public async Task Connect()
    {
        _server = await TestFlagServer.StartAsync();
        _tcp = new TcpClient();
        await _tcp.ConnectAsync(_server.Address.Host, _server.Address.Port);
        _socket = _tcp.GetStream();

        // Preface, empty SETTINGS, then a Sync request: the connection is served by the direct path.
        await _socket.WriteAsync(Http2Frame.ClientPreface.ToArray());
        await WriteFrameAsync(Http2FrameType.Settings, 0, 0, []);
        await WriteFrameAsync(Http2FrameType.Headers, Http2Frame.EndHeaders, 1, SyncRequestBlock());
    }

    [TearDown]
    public async Task Disconnect()
    {
        await _socket.DisposeAsync();
        _tcp.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Ping_AnsweredWithAckAndTheSamePayload()
    {
        byte[] payload = [1, 2, 3, 4, 5, 6, 7, 8];
        await WriteFrameAsync(Http2FrameType.Ping, 0, 0, payload);

        var (frame, body) = await ReadUntilAsync(f => f.Type == Http2FrameType.Ping);

        Assert.That(frame.Flags & Http2Frame.Ack, Is.EqualTo(Http2Frame.Ack));
        Assert.That(body, Is.EqualTo(payload));
        Assert.That(_server.GetService<DirectSyncRouter>().ConnectionsServed, Is.EqualTo(1));
    }

    [Test]
    public async Task SyncRequest_AnsweredWithStatus200AndGrpcContentTypeHeaders()
    {
        var (frame, _) = await ReadUntilAsync(f => f.Type == Http2FrameType.Headers && f.StreamId == 1);
        Assert.That(frame.Flags & Http2Frame.EndStream, Is.Zero, "the stream is accepted and stays open for Hello");
    }

    [Test]
    public async Task WindowUpdateOfZeroOnTheConnection_EndsItWithGoAwayProtocolError()
    {
        await WriteFrameAsync(Http2FrameType.WindowUpdate, 0, 0, [0, 0, 0, 0]);

        var (_, body) = await ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);

        Assert.That((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(4)), Is.EqualTo(Http2ErrorCode.ProtocolError));
        Assert.That(System.Text.Encoding.UTF8.GetString(body.AsSpan(8)), Does.Contain("WINDOW_UPDATE"));
    }

    [Test]
    public async Task FrameLargerThanTheMaxFrameSize_EndsTheConnectionWithGoAwayFrameSizeError()
    {
        await WriteFrameAsync(Http2FrameType.Data, 0, 1, new byte[Http2Frame.DefaultMaxFrameSize + 1]);

        var (_, body) = await ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);

        Assert.That((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(4)), Is.EqualTo(Http2ErrorCode.FrameSizeError));
    }

    [Test]
    public async Task CorruptHeaderBlock_EndsTheConnectionWithGoAwayCompressionError()
    {
        // Index 0 is never valid in HPACK.
        await WriteFrameAsync(Http2FrameType.Headers, Http2Frame.EndHeaders, 3, [0x80]);

        var (_, body) = await ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);

        Assert.That((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(4)), Is.EqualTo(Http2ErrorCode.CompressionError));
    }

    private static byte[] SyncRequestBlock()
    {
        (string Name, string Value)[] fields =
        [
            (":method", "POST"), (":scheme", "http"), (":path", DirectSyncRouter.SyncPath), (":authority", "localhost"),
            ("content-type", "application/grpc"), ("te", "trailers"), ("authorization", "Bearer " + TestFlagServer.SdkKey),
        ];
        var block = new byte[fields.Sum(f => HpackEncoder.LiteralLength(f.Name, f.Value))];
        var written = 0;
        foreach (var (name, value) in fields)
        {
            written += HpackEncoder.WriteLiteral(block.AsSpan(written), name, value);
        }

        return block;
    }

    private async Task WriteFrameAsync(Http2FrameType type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[Http2Frame.HeaderLength + payload.Length];
        Http2Frame.Write(frame, payload.Length, type, flags, streamId);
        payload.CopyTo(frame, Http2Frame.HeaderLength);
        await _socket.WriteAsync(frame);
    }

    private async Task<(Http2Frame Frame, byte[] Payload)> ReadUntilAsync(Func<Http2Frame, bool> wanted)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var header = new byte[Http2Frame.HeaderLength];
        while (true)
        {
            await _socket.ReadExactlyAsync(header, timeout.Token);
            var frame = Http2Frame.Read(header);
            var payload = new byte[frame.Length];
            await _socket.ReadExactlyAsync(payload, timeout.Token);
            if (wanted(frame))
            {
                return (frame, payload);
            }
        }
    }
}
