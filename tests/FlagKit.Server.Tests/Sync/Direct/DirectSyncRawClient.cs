using System.Buffers.Binary;
using System.Net.Sockets;
using FlagKit.Protocol.V1;
using FlagKit.Server.Sync.Direct;
using Google.Protobuf;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// An HTTP/2 client spoken byte by byte over a real socket to a real server, for what SocketsHttpHandler never does
/// (no WINDOW_UPDATE, resets at once, unanswered PINGs): it sends exactly the frames a test writes, and nothing else.
/// </summary>
internal sealed class DirectSyncRawClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _socket;
    private readonly Dictionary<int, MemoryStream> _data = [];
    private Task<(Http2Frame? Frame, byte[] Payload)>? _pendingRead;

    private DirectSyncRawClient(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _socket = stream;
    }

    /// <summary>Every frame read so far.</summary>
    public List<(Http2Frame Frame, byte[] Payload)> Frames { get; } = [];

    /// <summary>Connects, sends the preface and a SETTINGS frame with <paramref name="settings"/>.</summary>
    public static async Task<DirectSyncRawClient> ConnectAsync(Uri address, params (ushort Id, uint Value)[] settings)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        Stream stream = tcp.GetStream();
        if (address.Scheme == Uri.UriSchemeHttps)
        {
            // Test servers with TLS use a throwaway self-signed certificate; h2 by ALPN.
            var tls = new System.Net.Security.SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http2],
            });
            stream = tls;
        }

        var client = new DirectSyncRawClient(tcp, stream);
        await client._socket.WriteAsync(Http2Frame.ClientPreface.ToArray());
        await client.WriteSettingsAsync(settings);
        return client;
    }

    /// <summary>A SETTINGS frame.</summary>
    public Task WriteSettingsAsync(params (ushort Id, uint Value)[] settings)
    {
        var payload = new byte[settings.Length * 6];
        for (var i = 0; i < settings.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(i * 6), settings[i].Id);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan((i * 6) + 2), settings[i].Value);
        }

        return WriteFrameAsync(Http2FrameType.Settings, 0, 0, payload);
    }

    /// <summary>HEADERS of a Sync request (END_HEADERS), then its Hello as DATA (unless <paramref name="hello"/> is false).</summary>
    public async Task OpenSyncAsync(int streamId, string? key = TestFlagServer.SdkKey, bool hello = true, params (string Name, string Value)[] extra)
    {
        await WriteFrameAsync(Http2FrameType.Headers, Http2Frame.EndHeaders, streamId, SyncRequestBlock(key, extra));
        if (hello)
        {
            await WriteFrameAsync(Http2FrameType.Data, 0, streamId, HelloMessage());
        }
    }

    /// <summary>
    /// Widens the connection's window by 16 MB, opens a Sync stream (HEADERS and Hello) and widens its window by 16 MB:
    /// what the server sends it never waits for a window.
    /// </summary>
    /// <param name="streamId">The new stream's id.</param>
    /// <returns>Completes when written.</returns>
    public async Task OpenSyncWithWideWindowsAsync(int streamId)
    {
        await WriteWindowUpdateAsync(0, 16 * 1024 * 1024);
        await OpenSyncAsync(streamId);
        await WriteWindowUpdateAsync(streamId, 16 * 1024 * 1024);
    }

    /// <summary>WINDOW_UPDATE.</summary>
    public Task WriteWindowUpdateAsync(int streamId, int increment)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)increment);
        return WriteFrameAsync(Http2FrameType.WindowUpdate, 0, streamId, payload);
    }

    /// <summary>RST_STREAM.</summary>
    public Task WriteResetAsync(int streamId, Http2ErrorCode code)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)code);
        return WriteFrameAsync(Http2FrameType.RstStream, 0, streamId, payload);
    }

    /// <summary>Several frames in one socket write (the server reads them in one batch).</summary>
    public async Task WriteFramesAsync(params (Http2FrameType Type, byte Flags, int StreamId, byte[] Payload)[] frames)
    {
        var all = new MemoryStream();
        foreach (var (type, flags, streamId, payload) in frames)
        {
            var header = new byte[Http2Frame.HeaderLength];
            Http2Frame.Write(header, payload.Length, type, flags, streamId);
            all.Write(header);
            all.Write(payload);
        }

        await _socket.WriteAsync(all.ToArray());
    }

    /// <summary>The fields of a header block the server sent (its encoder uses no dynamic table).</summary>
    public static List<(string Name, string Value)> DecodeFields(byte[] block)
    {
        var fields = new HpackFieldRecorder();
        new HpackDecoder(4096, 64 * 1024).Decode(block, fields);
        return fields.Fields;
    }

    /// <summary>One frame.</summary>
    public async Task WriteFrameAsync(Http2FrameType type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[Http2Frame.HeaderLength + payload.Length];
        Http2Frame.Write(frame, payload.Length, type, flags, streamId);
        payload.CopyTo(frame, Http2Frame.HeaderLength);
        await _socket.WriteAsync(frame);
    }

    /// <summary>Reads frames until one is <paramref name="wanted"/>; throws when the timeout passes or the connection ends.</summary>
    public async Task<(Http2Frame Frame, byte[] Payload)> ReadUntilAsync(Func<Http2Frame, bool> wanted, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var left = until - DateTime.UtcNow;
            var read = await ReadFrameAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero) ?? throw new TimeoutException("No wanted frame in time.");
            if (read.Frame is not { } frame)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }

            if (wanted(frame))
            {
                return (frame, read.Payload);
            }
        }
    }

    /// <summary>Reads frames for <paramref name="quiet"/>: true when the server closed the connection within it.</summary>
    public async Task<bool> ReadForAsync(TimeSpan quiet)
    {
        var until = DateTime.UtcNow + quiet;
        while (true)
        {
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            var read = await ReadFrameAsync(left);
            if (read is null)
            {
                return false;
            }

            if (read.Value.Frame is null)
            {
                return true;
            }
        }
    }

    /// <summary>Reads frames for <paramref name="time"/>, answering PINGs: true when the server closed the connection within it.</summary>
    public async Task<bool> ReadAnsweringPingsAsync(TimeSpan time)
    {
        var until = DateTime.UtcNow + time;
        while (DateTime.UtcNow < until)
        {
            var read = await ReadFrameAsync(TimeSpan.FromMilliseconds(100));
            if (read is { Frame: null })
            {
                return true;
            }

            if (read is { Frame: { Type: Http2FrameType.Ping } ping } && !ping.Has(Http2Frame.Ack))
            {
                await WriteFrameAsync(Http2FrameType.Ping, Http2Frame.Ack, 0, read.Value.Payload);
            }
        }

        return false;
    }

    /// <summary>
    /// The next frame (Frame null: the connection ended), or null when none came within <paramref name="timeout"/>; a
    /// read that timed out is kept for the next call, so no frame is ever cut.
    /// </summary>
    public async Task<(Http2Frame? Frame, byte[] Payload)?> ReadFrameAsync(TimeSpan timeout)
    {
        _pendingRead ??= ReadOneAsync();
        if (await Task.WhenAny(_pendingRead, Task.Delay(timeout)) != _pendingRead)
        {
            return null;
        }

        var read = _pendingRead;
        _pendingRead = null;
        try
        {
            return await read;
        }
        catch (IOException)
        {
            return (null, []);
        }
    }

    private async Task<(Http2Frame? Frame, byte[] Payload)> ReadOneAsync()
    {
        var header = new byte[Http2Frame.HeaderLength];
        try
        {
            await _socket.ReadExactlyAsync(header);
        }
        catch (EndOfStreamException)
        {
            return (null, []);
        }

        var frame = Http2Frame.Read(header);
        var payload = new byte[frame.Length];
        await _socket.ReadExactlyAsync(payload);
        Frames.Add((frame, payload));
        if (frame.Type == Http2FrameType.Data)
        {
            if (!_data.TryGetValue(frame.StreamId, out var bytes))
            {
                _data[frame.StreamId] = bytes = new MemoryStream();
            }

            bytes.Write(payload);
        }

        return (frame, payload);
    }

    /// <summary>DATA bytes received on a stream.</summary>
    public long DataReceived(int streamId) => _data.TryGetValue(streamId, out var bytes) ? bytes.Length : 0;

    /// <summary>The complete gRPC messages received on a stream.</summary>
    public List<SyncResponse> Messages(int streamId)
    {
        var messages = new List<SyncResponse>();
        if (!_data.TryGetValue(streamId, out var bytes))
        {
            return messages;
        }

        var all = bytes.ToArray();
        var at = 0;
        while (all.Length - at >= 5)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(all.AsSpan(at + 1));
            if (all.Length - at - 5 < length)
            {
                break;
            }

            messages.Add(SyncResponse.Parser.ParseFrom(all, at + 5, length));
            at += 5 + length;
        }

        return messages;
    }

    /// <summary>The HPACK block of a Sync request (literal fields only).</summary>
    public static byte[] SyncRequestBlock(string? key = TestFlagServer.SdkKey, params (string Name, string Value)[] extra)
    {
        var fields = new List<(string Name, string Value)>
        {
            (":method", "POST"), (":scheme", "http"), (":path", DirectSyncRouter.SyncPath), (":authority", "localhost"),
            ("content-type", "application/grpc"), ("te", "trailers"),
        };
        if (key is not null)
        {
            fields.Add(("authorization", "Bearer " + key));
        }

        fields.AddRange(extra);

        var block = new byte[fields.Sum(f => HpackEncoder.LiteralLength(f.Name, f.Value))];
        var written = 0;
        foreach (var (name, value) in fields)
        {
            written += HpackEncoder.WriteLiteral(block.AsSpan(written), name, value);
        }

        return block;
    }

    /// <summary>A gRPC-framed Hello.</summary>
    public static byte[] HelloMessage()
    {
        var hello = new Hello
        {
            SdkName = "raw-http2-client",
            SdkVersion = "0.0.0",
            InstanceId = "raw-" + Guid.NewGuid().ToString("N")[..8],
            AppName = "server-tests",
            AppVersion = "1.0.0",
            Environment = TestFlagServer.Environment,
        };
        hello.ProtocolVersions.Add(1);
        hello.SchemaVersions.Add(1);
        var body = new SyncRequest { Hello = hello }.ToByteArray();
        var message = new byte[5 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(1), (uint)body.Length);
        body.CopyTo(message, 5);
        return message;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _socket.DisposeAsync();
        _tcp.Dispose();
    }
}
