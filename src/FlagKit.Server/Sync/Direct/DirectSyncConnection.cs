using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// An HTTP/2 connection whose first request was a Sync call, served by FlagKit itself instead of Kestrel's HTTP/2
/// stack (see <see cref="DirectSyncRouter"/>): the server side of RFC 9113 for what a gRPC client sends — SETTINGS,
/// HEADERS (+ CONTINUATION, HPACK), DATA with flow control both ways, RST_STREAM, PING, WINDOW_UPDATE, GOAWAY — and
/// gRPC's message framing and status trailers. Each stream runs <see cref="FlagSyncService.Sync"/> unchanged.
/// </summary>
/// <remarks>
/// <para>Why: under Kestrel, an idle Sync stream costs ≈ 15 KB of live objects (an ASP.NET Core request with its
/// pipes, header collections, features, middleware and gRPC call state); here it is the stream object, its body and
/// the sync code's own state. A change reaches a connection's streams as one transport write.</para>
/// <para>A request for anything but Sync on such a connection is refused with REFUSED_STREAM and the connection sends
/// GOAWAY, so the client retries that request on a new connection (which Kestrel serves) and keeps its Sync streams here.</para>
/// <para>Thread safety: one lock (<see cref="Lock"/>) guards the streams, the windows and the output; the read loop is
/// the only reader of the transport, the flusher the only writer.</para>
/// </remarks>
internal sealed partial class DirectSyncConnection : IHpackHeaderHandler
{
    private readonly ConnectionContext _context;
    private readonly DirectSyncRouter _router;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly HpackDecoder _hpack;
    private readonly Dictionary<int, DirectSyncStream> _streams = [];
    private readonly TaskCompletionSource _handlersDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<DirectSyncStream>? _blocked;

    private int _peerInitialWindow = Http2Frame.DefaultWindow;
    private int _peerMaxFrameSize = Http2Frame.DefaultMaxFrameSize;
    private long _sendWindow = Http2Frame.DefaultWindow;
    private int _receiveWindow = Http2Frame.DefaultWindow;
    private int _receiveUnacknowledged;

    private int _lastStreamId;
    private int _lastAcceptedStreamId;
    private bool _goAwaySent;
    private bool _peerGoAway;
    private bool _closing;
    private int _handlers;

    // A header block being received (HEADERS, then CONTINUATION until END_HEADERS).
    private byte[] _headerBlock = [];
    private int _headerBlockLength;
    private int _headerStreamId;
    private bool _headerEndStream;

    // The fields of the block being decoded.
    private RequestFields _fields;

    /// <summary>How long a closing connection waits for its handlers, then for its output to drain.</summary>
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait of a timer (2^32 - 2 ms).</summary>
    private static readonly TimeSpan MaxDeadlineWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly bool _settingsSent;
    private long _lastReceived;
    private long _pingSent;
    private long _idleSince;
    private ITimer? _keepAlive;

    /// <summary>Creates the connection over a transport whose unread input starts with the client preface.</summary>
    /// <param name="context">The transport connection.</param>
    /// <param name="router">Settings, the service and the log.</param>
    /// <param name="settingsSent">Whether the router sent the server's SETTINGS already (while it waited for the first request).</param>
    public DirectSyncConnection(ConnectionContext context, DirectSyncRouter router, bool settingsSent = false)
    {
        _settingsSent = settingsSent;
        _context = context;
        _router = router;
        _input = context.Transport.Input;
        _output = context.Transport.Output;
        _hpack = new HpackDecoder(DirectSyncRouter.HeaderTableSize, router.MaxHeaderListSize);
        Peer = DirectSyncRouter.FormatPeer(context.RemoteEndPoint);
        Host = context.LocalEndPoint?.ToString() ?? "";
    }

    /// <summary>The lock of the connection's state.</summary>
    public Lock Lock { get; } = new();

    /// <summary>The peer, as gRPC names it (<c>ipv4:127.0.0.1:50123</c>).</summary>
    public string Peer { get; }

    /// <summary>The local address.</summary>
    public string Host { get; }

    /// <summary>Serves the connection until the peer or the server ends it.</summary>
    /// <returns>Completes when the connection is done (Kestrel then closes the socket).</returns>
    public async Task RunAsync()
    {
        var closeRequested = _context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var onCloseRequested = closeRequested.Register(static s => ((DirectSyncConnection)s!).GoAway(), this);
        _lastReceived = _router.Time.GetTimestamp();
        _keepAlive = _router.KeepAliveDelay > TimeSpan.Zero
            ? _router.Time.CreateTimer(static s => ((DirectSyncConnection)s!).KeepAlive(), this, _router.KeepAliveDelay, _router.KeepAliveDelay)
            : null;
        Http2ErrorCode? error = null;
        string? errorMessage = null;
        try
        {
            SendPreface();
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Http2ConnectionException e)
        {
            error = e.Code;
            errorMessage = e.Message;
            DirectSyncLog.ConnectionError(_router.Logger, Peer, e.Code, e.Message);
        }
        catch (HpackException e)
        {
            error = Http2ErrorCode.CompressionError;
            errorMessage = e.Message;
            DirectSyncLog.ConnectionError(_router.Logger, Peer, Http2ErrorCode.CompressionError, e.Message);
        }
        catch (Exception e) when (e is IOException or ConnectionAbortedException or ConnectionResetException or OperationCanceledException or InvalidOperationException)
        {
            // The transport closed or was aborted.
        }
        finally
        {
            _keepAlive?.Dispose();
            await CloseAsync(error, errorMessage).ConfigureAwait(false);
        }
    }

    /// <summary>Frames a stream's written body (the stream's writer calls it, as <see cref="PipeWriter.FlushAsync"/>).</summary>
    /// <param name="body">The body.</param>
    /// <param name="stream">Its stream.</param>
    /// <returns>Completed at once, or when what waits for a window or for the transport went out.</returns>
    public ValueTask<FlushResult> Flush(DirectStreamBody body, DirectSyncStream stream)
    {
        lock (Lock)
        {
            if (stream.Closed || _outputClosed)
            {
                body.Release();
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
            }

            if (!stream.HeadersSent)
            {
                SendResponseHeadersLocked(stream, null);
            }

            if (!body.SentLocked(SendDataLocked(stream, body.UnsentLocked)))
            {
                (_blocked ??= []).Add(stream);
                return body.Wait();
            }

            if (OverHighWaterLocked)
            {
                WaitForDrainLocked(stream);
                return body.Wait();
            }

            return default;
        }
    }

    /// <summary>Aborts a stream that will not end by itself (RST_STREAM CANCEL); its handler's call is cancelled.</summary>
    /// <param name="stream">The stream.</param>
    public void AbortStream(DirectSyncStream stream)
    {
        lock (Lock)
        {
            if (!stream.Closed)
            {
                ResetLocked(stream, Http2ErrorCode.Cancel);
            }
        }
    }

    /// <summary>Sends the response headers of a stream (once).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="headers">Custom response metadata, if any.</param>
    public void SendResponseHeaders(DirectSyncStream stream, Metadata? headers)
    {
        lock (Lock)
        {
            if (!stream.Closed && !stream.HeadersSent)
            {
                SendResponseHeadersLocked(stream, headers);
            }
        }
    }

    /// <inheritdoc />
    void IHpackHeaderHandler.OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => _fields.Add(name, value);

    private void SendPreface()
    {
        if (_settingsSent)
        {
            return;
        }

        lock (Lock)
        {
            WriteFrameLocked(Http2FrameType.Settings, 0, 0, _router.ServerSettings);
        }
    }

    private async Task ReadLoopAsync()
    {
        var preface = await _input.ReadAtLeastAsync(Http2Frame.ClientPreface.Length).ConfigureAwait(false);
        if (preface.Buffer.Length < Http2Frame.ClientPreface.Length || !StartsWithPreface(preface.Buffer))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "The connection did not start with the HTTP/2 client preface.");
        }

        _input.AdvanceTo(preface.Buffer.GetPosition(Http2Frame.ClientPreface.Length));
        while (true)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                _input.AdvanceTo(buffer.Start);
                return;
            }

            List<DirectSyncStream>? started = null;
            try
            {
                lock (Lock)
                {
                    _lastReceived = _router.Time.GetTimestamp();
                    while (TryTakeFrame(ref buffer, out var frame, out var payload))
                    {
                        ProcessFrameLocked(frame, payload, ref started);
                    }

                    if (_receiveUnacknowledged >= Http2Frame.DefaultWindow / 2)
                    {
                        WriteWindowUpdateLocked(0, _receiveUnacknowledged);
                        _receiveWindow += _receiveUnacknowledged;
                        _receiveUnacknowledged = 0;
                    }
                }

                if (started is not null)
                {
                    foreach (var stream in started)
                    {
                        _ = RunHandlerAsync(stream);
                    }
                }
            }
            catch when (started is not null)
            {
                // A connection error after streams opened in the same read: their handlers never start, so they are
                // not counted (the close would wait for them).
                lock (Lock)
                {
                    _handlers -= started.Count;
                }

                throw;
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static bool StartsWithPreface(ReadOnlySequence<byte> buffer)
    {
        Span<byte> first = stackalloc byte[24];
        buffer.Slice(0, first.Length).CopyTo(first);
        return first.SequenceEqual(Http2Frame.ClientPreface);
    }

    private bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out Http2Frame frame, out ReadOnlySequence<byte> payload)
    {
        frame = default;
        payload = default;
        if (buffer.Length < Http2Frame.HeaderLength)
        {
            return false;
        }

        frame = Http2Frame.Read(buffer);
        if (frame.Length > Http2Frame.DefaultMaxFrameSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"A {frame.Type} frame of {frame.Length} bytes exceeds SETTINGS_MAX_FRAME_SIZE ({Http2Frame.DefaultMaxFrameSize}).");
        }

        if (buffer.Length < Http2Frame.HeaderLength + frame.Length)
        {
            return false;
        }

        payload = buffer.Slice(Http2Frame.HeaderLength, frame.Length);
        buffer = buffer.Slice(Http2Frame.HeaderLength + frame.Length);
        return true;
    }

    private void ProcessFrameLocked(Http2Frame frame, ReadOnlySequence<byte> payload, ref List<DirectSyncStream>? started)
    {
        if (OverControlLimitLocked && frame.Type is Http2FrameType.Ping or Http2FrameType.Settings or Http2FrameType.Headers)
        {
            // Frames this side must answer, from a peer that does not read the answers (a PING or SETTINGS flood).
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"The peer sends frames that need answers while {PendingHighWater * 2} bytes to it are unread.");
        }

        if (_headerStreamId != 0 && frame.Type != Http2FrameType.Continuation)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"A {frame.Type} frame arrived inside the header block of stream {_headerStreamId}.");
        }

        switch (frame.Type)
        {
            case Http2FrameType.Data:
                OnDataLocked(frame, payload);
                break;
            case Http2FrameType.Headers:
                OnHeadersLocked(frame, payload, ref started);
                break;
            case Http2FrameType.Continuation:
                OnContinuationLocked(frame, payload, ref started);
                break;
            case Http2FrameType.Priority:
                if (frame.Length != 5 || frame.StreamId == 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "A PRIORITY frame must be 5 bytes on a stream.");
                }

                break;
            case Http2FrameType.RstStream:
                OnResetLocked(frame, payload);
                break;
            case Http2FrameType.Settings:
                OnSettingsLocked(frame, payload);
                break;
            case Http2FrameType.PushPromise:
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "A client may not send PUSH_PROMISE.");
            case Http2FrameType.Ping:
                OnPingLocked(frame, payload);
                break;
            case Http2FrameType.GoAway:
                if (frame.StreamId != 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "GOAWAY must be on stream 0.");
                }

                _peerGoAway = true;
                CloseIfDoneLocked();
                break;
            case Http2FrameType.WindowUpdate:
                OnWindowUpdateLocked(frame, payload);
                break;
            default:
                // Unknown frame types are ignored (RFC 9113, section 4.1).
                break;
        }
    }

    private void OnDataLocked(Http2Frame frame, ReadOnlySequence<byte> payload)
    {
        if (frame.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "DATA on stream 0.");
        }

        _receiveWindow -= frame.Length;
        _receiveUnacknowledged += frame.Length;
        if (_receiveWindow < 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "DATA beyond the connection's flow-control window.");
        }

        var data = Content(frame, payload);
        if (!_streams.TryGetValue(frame.StreamId, out var stream))
        {
            if (frame.StreamId > _lastStreamId)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"DATA on idle stream {frame.StreamId}.");
            }

            // A stream this side closed already: the bytes count for the connection's window only.
            return;
        }

        if (stream.RemoteEnded)
        {
            ResetLocked(stream, Http2ErrorCode.StreamClosed);
            return;
        }

        stream.ReceiveWindow -= frame.Length;
        if (stream.ReceiveWindow < 0)
        {
            ResetLocked(stream, Http2ErrorCode.FlowControlError);
            return;
        }

        stream.OnDataLocked(data, frame.Length, frame.Has(Http2Frame.EndStream));
    }

    /// <summary>A DATA or HEADERS frame's content (padding and priority fields removed); a malformed frame ends the connection.</summary>
    private static ReadOnlySequence<byte> Content(Http2Frame frame, ReadOnlySequence<byte> payload) =>
        frame.TryGetContent(payload, out var content) is { } error ? throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, error) : content;

    private void OnHeadersLocked(Http2Frame frame, ReadOnlySequence<byte> payload, ref List<DirectSyncStream>? started)
    {
        if (frame.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "HEADERS on stream 0.");
        }

        var fragment = Content(frame, payload);
        _headerStreamId = frame.StreamId;
        _headerEndStream = frame.Has(Http2Frame.EndStream);
        _headerBlockLength = 0;
        AppendHeaderFragment(fragment);
        if (frame.Has(Http2Frame.EndHeaders))
        {
            EndHeaderBlockLocked(ref started);
        }
    }

    private void OnContinuationLocked(Http2Frame frame, ReadOnlySequence<byte> payload, ref List<DirectSyncStream>? started)
    {
        if (_headerStreamId == 0 || frame.StreamId != _headerStreamId)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"CONTINUATION on stream {frame.StreamId} without a header block in progress on it.");
        }

        AppendHeaderFragment(payload);
        if (frame.Has(Http2Frame.EndHeaders))
        {
            EndHeaderBlockLocked(ref started);
        }
    }

    private void AppendHeaderFragment(ReadOnlySequence<byte> fragment)
    {
        var needed = _headerBlockLength + (int)fragment.Length;
        if (needed > _router.MaxHeaderBlockBytes)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"A header block of more than {_router.MaxHeaderBlockBytes} bytes.");
        }

        if (needed > _headerBlock.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 1024));
            _headerBlock.AsSpan(0, _headerBlockLength).CopyTo(bigger);
            if (_headerBlock.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_headerBlock);
            }

            _headerBlock = bigger;
        }

        fragment.CopyTo(_headerBlock.AsSpan(_headerBlockLength));
        _headerBlockLength = needed;
    }

    private void EndHeaderBlockLocked(ref List<DirectSyncStream>? started)
    {
        var streamId = _headerStreamId;
        var endStream = _headerEndStream;
        _headerStreamId = 0;
        _fields = new RequestFields(streamId > _lastStreamId);
        try
        {
            _hpack.Decode(_headerBlock.AsSpan(0, _headerBlockLength), this);
        }
        finally
        {
            // An idle connection keeps no header buffer.
            ArrayPool<byte>.Shared.Return(_headerBlock);
            _headerBlock = [];
            _headerBlockLength = 0;
        }

        var fields = _fields;
        _fields = default;
        if (_streams.TryGetValue(streamId, out var open))
        {
            // A header block after END_STREAM (RFC 9113 section 5.1, half-closed (remote)).
            if (open.RemoteEnded)
            {
                ResetLocked(open, Http2ErrorCode.StreamClosed);
                return;
            }

            // Trailers: they must end the stream; gRPC clients send none, and their fields are not used.
            if (!endStream)
            {
                ResetLocked(open, Http2ErrorCode.ProtocolError);
                return;
            }

            open.OnRemoteEndLocked();
            return;
        }

        if (streamId <= _lastStreamId || (streamId & 1) == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"HEADERS opening stream {streamId}, which is not a new client stream (last {_lastStreamId}).");
        }

        _lastStreamId = streamId;
        if (OpenStreamLocked(streamId, fields, endStream) is { } stream)
        {
            (started ??= []).Add(stream);
        }
    }

    private DirectSyncStream? OpenStreamLocked(int streamId, RequestFields fields, bool endStream)
    {
        if (!fields.IsSync)
        {
            // Not for this connection: the client retries it on another one, which Kestrel serves.
            WriteResetLocked(streamId, Http2ErrorCode.RefusedStream);
            GoAwayLocked();
            CloseIfDoneLocked();
            return null;
        }

        // Handlers, not open streams, are counted: a stream reset at once still has its handler running.
        if (_goAwaySent || _peerGoAway || _closing || _handlers >= _router.MaxStreamsPerConnection)
        {
            WriteResetLocked(streamId, Http2ErrorCode.RefusedStream);
            return null;
        }

        if (fields.Encoding is { } encoding && encoding != "identity")
        {
            WriteTrailersOnlyLocked(streamId, new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding value '{encoding}'. Supported encodings: identity"), endStream);
            return null;
        }

        var deadline = DateTime.MaxValue;
        if (fields.Timeout is { } timeout)
        {
            // grpc-timeout allows 99999999 hours: a deadline past DateTime's range is none.
            var now = _router.Time.GetUtcNow().UtcDateTime;
            deadline = timeout < DateTime.MaxValue - now ? now + timeout : DateTime.MaxValue;
        }

        var stream = new DirectSyncStream(this, streamId, fields.Metadata ?? [], deadline, _peerInitialWindow, _router.MaxMessageBytes);
        _streams.Add(streamId, stream);
        _lastAcceptedStreamId = streamId;
        _handlers++;
        if (endStream)
        {
            stream.OnRemoteEndLocked();
        }

        return stream;
    }

    private async Task RunHandlerAsync(DirectSyncStream stream)
    {
        // Off the read loop: the handler's synchronous start (authentication, Hello wait) must not hold it.
        await Task.Yield();
        Status status;
        Metadata? trailers = null;
        using var deadline = StartDeadline(stream);
        try
        {
            await _router.InvokeAsync(stream).ConfigureAwait(false);
            status = Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            status = e.Status;
            trailers = e.Trailers;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && (stream.CancellationToken.IsCancellationRequested || IsClosed(stream)))
        {
            // Reset or closed: the call's cancellation is queued and may not have run yet when the handler sees it.
            status = Status.DefaultCancelled;
        }
        catch (Exception e)
        {
            DirectSyncLog.HandlerFailed(_router.Logger, stream.Id, Peer, e);
            status = new Status(StatusCode.Unknown, "Exception was thrown by handler.");
        }

        if (stream.DeadlineExpired || (stream.Deadline != DateTime.MaxValue && _router.Time.GetUtcNow().UtcDateTime >= stream.Deadline))
        {
            status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }

        CompleteStream(stream, status, trailers);
    }

    private bool IsClosed(DirectSyncStream stream)
    {
        lock (Lock)
        {
            return stream.Closed;
        }
    }

    /// <summary>A call with grpc-timeout is cancelled at its deadline (as ASP.NET Core's gRPC does); null without one.</summary>
    private ITimer? StartDeadline(DirectSyncStream stream)
    {
        if (stream.Deadline == DateTime.MaxValue)
        {
            return null;
        }

        var left = stream.Deadline - _router.Time.GetUtcNow().UtcDateTime;
        if (left > MaxDeadlineWait)
        {
            // Longer than a timer can wait (about 49.7 days): not enforced.
            return null;
        }

        return _router.Time.CreateTimer(static s => ((DirectSyncStream)s!).ExpireDeadline(), stream, left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The handler returned: trailers (or a trailers-only response) end the stream, which is forgotten.</summary>
    private void CompleteStream(DirectSyncStream stream, Status status, Metadata? trailers)
    {
        lock (Lock)
        {
            if (!stream.Closed)
            {
                if (stream.Body.HasUnsent)
                {
                    // Data the peer never took (its window stayed shut): nothing can follow it.
                    WriteResetLocked(stream.Id, Http2ErrorCode.Cancel);
                }
                else
                {
                    WriteTrailersLocked(stream, status, trailers);
                    if (!stream.RemoteEnded)
                    {
                        // The response is complete; the request side is not needed any more.
                        WriteResetLocked(stream.Id, Http2ErrorCode.NoError);
                    }
                }
            }

            ForgetLocked(stream);
            if (--_handlers == 0 && _closing)
            {
                _handlersDone.TrySetResult();
            }

            CloseIfDoneLocked();
        }

        stream.Cancel();
    }

    private void ResetLocked(DirectSyncStream stream, Http2ErrorCode code)
    {
        WriteResetLocked(stream.Id, code);
        ForgetLocked(stream);
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Cancel(), stream, preferLocal: false);
    }

    private void ForgetLocked(DirectSyncStream stream)
    {
        stream.CloseLocked();
        _streams.Remove(stream.Id);
        _blocked?.Remove(stream);
    }

    private void OnResetLocked(Http2Frame frame, ReadOnlySequence<byte> payload)
    {
        if (frame.StreamId == 0 || frame.Length != 4)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "RST_STREAM must be 4 bytes on a stream.");
        }

        if (_streams.TryGetValue(frame.StreamId, out var stream))
        {
            ForgetLocked(stream);
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Cancel(), stream, preferLocal: false);
        }
    }

    private void OnSettingsLocked(Http2Frame frame, ReadOnlySequence<byte> payload)
    {
        if (frame.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "SETTINGS on a stream.");
        }

        if (frame.Has(Http2Frame.Ack))
        {
            if (frame.Length != 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "A SETTINGS acknowledgement with a payload.");
            }

            return;
        }

        if (frame.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "A SETTINGS payload that is not a multiple of 6 bytes.");
        }

        Span<byte> setting = stackalloc byte[6];
        for (var offset = 0; offset < frame.Length; offset += 6)
        {
            payload.Slice(offset, 6).CopyTo(setting);
            ApplySettingLocked(BinaryPrimitives.ReadUInt16BigEndian(setting), BinaryPrimitives.ReadUInt32BigEndian(setting[2..]));
        }

        WriteFrameLocked(Http2FrameType.Settings, Http2Frame.Ack, 0, []);
        RetryBlockedLocked(null);
    }

    private void ApplySettingLocked(ushort id, uint value)
    {
        switch (id)
        {
            case 0x2 when value > 1:
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_ENABLE_PUSH {value}.");
            case 0x4:
                if (value > Http2Frame.MaxWindow)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"SETTINGS_INITIAL_WINDOW_SIZE {value} exceeds 2^31-1.");
                }

                var delta = (int)value - _peerInitialWindow;
                _peerInitialWindow = (int)value;
                foreach (var stream in _streams.Values)
                {
                    stream.SendWindow += delta;
                    if (stream.SendWindow > Http2Frame.MaxWindow)
                    {
                        throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE took a stream's window past 2^31-1.");
                    }
                }

                break;
            case 0x5:
                if (value < Http2Frame.DefaultMaxFrameSize || value > 16_777_215)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_MAX_FRAME_SIZE {value} outside 16384..16777215.");
                }

                _peerMaxFrameSize = (int)value;
                break;
            default:
                // HEADER_TABLE_SIZE: the encoder here uses no dynamic table. MAX_CONCURRENT_STREAMS: this side opens
                // none. MAX_HEADER_LIST_SIZE: the responses' headers are a few bytes. Unknown settings are ignored.
                break;
        }
    }

    private void OnPingLocked(Http2Frame frame, ReadOnlySequence<byte> payload)
    {
        if (frame.StreamId != 0 || frame.Length != 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "PING must be 8 bytes on stream 0.");
        }

        if (frame.Has(Http2Frame.Ack))
        {
            _pingSent = 0;
            return;
        }

        Span<byte> data = stackalloc byte[8];
        payload.CopyTo(data);
        WriteFrameLocked(Http2FrameType.Ping, Http2Frame.Ack, 0, data);
    }

    private void OnWindowUpdateLocked(Http2Frame frame, ReadOnlySequence<byte> payload)
    {
        if (frame.Length != 4)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "WINDOW_UPDATE must be 4 bytes.");
        }

        Span<byte> bytes = stackalloc byte[4];
        payload.CopyTo(bytes);
        var increment = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0x7FFF_FFFF);
        if (frame.StreamId == 0)
        {
            if (increment == 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "WINDOW_UPDATE of 0 on the connection.");
            }

            _sendWindow += increment;
            if (_sendWindow > Http2Frame.MaxWindow)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "WINDOW_UPDATE took the connection's window past 2^31-1.");
            }

            RetryBlockedLocked(null);
            return;
        }

        if (!_streams.TryGetValue(frame.StreamId, out var stream))
        {
            return;
        }

        if (increment == 0)
        {
            ResetLocked(stream, Http2ErrorCode.ProtocolError);
            return;
        }

        stream.SendWindow += increment;
        if (stream.SendWindow > Http2Frame.MaxWindow)
        {
            ResetLocked(stream, Http2ErrorCode.FlowControlError);
            return;
        }

        RetryBlockedLocked(stream);
    }

    /// <summary>Sends what waited for a window: of one stream, or of all.</summary>
    private void RetryBlockedLocked(DirectSyncStream? only)
    {
        if (_blocked is not { Count: > 0 } blocked)
        {
            return;
        }

        for (var i = 0; i < blocked.Count; i++)
        {
            var stream = blocked[i];
            if (only is not null && stream != only)
            {
                continue;
            }

            if (stream.Body.SentLocked(SendDataLocked(stream, stream.Body.UnsentLocked)))
            {
                blocked.RemoveAt(i--);
                if (OverHighWaterLocked)
                {
                    WaitForDrainLocked(stream);
                }
                else
                {
                    stream.Body.Drained();
                }
            }
        }
    }

    private void SendResponseHeadersLocked(DirectSyncStream stream, Metadata? headers)
    {
        stream.HeadersSent = true;
        var length = HpackEncoder.LiteralLength("content-type", "application/grpc") + 1;
        length += MetadataLength(headers);
        var block = length <= 1024 ? stackalloc byte[length] : new byte[length];
        var written = HpackEncoder.WriteStatus200(block);
        written += HpackEncoder.WriteLiteral(block[written..], "content-type", "application/grpc");
        written += WriteMetadata(block[written..], headers);

        WriteFrameLocked(Http2FrameType.Headers, Http2Frame.EndHeaders, stream.Id, block[..written]);
    }

    private void WriteTrailersLocked(DirectSyncStream stream, Status status, Metadata? trailers)
    {
        if (!stream.HeadersSent)
        {
            WriteTrailersOnlyLocked(stream.Id, status, endStream: true);
            return;
        }

        WriteStatusBlockLocked(stream.Id, status, trailers, withHeaders: false);
    }

    private void WriteTrailersOnlyLocked(int streamId, Status status, bool endStream)
    {
        WriteStatusBlockLocked(streamId, status, null, withHeaders: true);
        if (!endStream)
        {
            WriteResetLocked(streamId, Http2ErrorCode.NoError);
        }
    }

    private void WriteStatusBlockLocked(int streamId, Status status, Metadata? trailers, bool withHeaders)
    {
        var code = ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = GrpcStatusMessage.Encode(status.Detail);
        var length = HpackEncoder.LiteralLength("grpc-status", code) + (message.Length > 0 ? HpackEncoder.LiteralLength("grpc-message", message) : 0);
        if (withHeaders)
        {
            length += 1 + HpackEncoder.LiteralLength("content-type", "application/grpc");
        }

        length += MetadataLength(trailers);
        var block = new byte[length];
        var written = 0;
        if (withHeaders)
        {
            written += HpackEncoder.WriteStatus200(block);
            written += HpackEncoder.WriteLiteral(block.AsSpan(written), "content-type", "application/grpc");
        }

        written += HpackEncoder.WriteLiteral(block.AsSpan(written), "grpc-status", code);
        if (message.Length > 0)
        {
            written += HpackEncoder.WriteLiteral(block.AsSpan(written), "grpc-message", message);
        }

        written += WriteMetadata(block.AsSpan(written), trailers);

        WriteFrameLocked(Http2FrameType.Headers, Http2Frame.EndHeaders | Http2Frame.EndStream, streamId, block.AsSpan(0, written));
    }

    /// <summary>Bytes the text entries of <paramref name="metadata"/> take as HPACK literals (binary entries are not sent).</summary>
    private static int MetadataLength(Metadata? metadata) =>
        metadata?.Where(e => !e.IsBinary).Sum(e => HpackEncoder.LiteralLength(e.Key, e.Value)) ?? 0;

    /// <summary>Writes the text entries of <paramref name="metadata"/> as HPACK literals; returns the bytes written.</summary>
    private static int WriteMetadata(Span<byte> destination, Metadata? metadata)
    {
        var written = 0;
        foreach (var entry in metadata ?? [])
        {
            if (!entry.IsBinary)
            {
                written += HpackEncoder.WriteLiteral(destination[written..], entry.Key, entry.Value);
            }
        }

        return written;
    }

    /// <summary>No new streams (the server stops, or a request that is not Sync came): GOAWAY, then close once the streams ended.</summary>
    private void GoAway()
    {
        lock (Lock)
        {
            GoAwayLocked();
            CloseIfDoneLocked();
        }
    }

    private void GoAwayLocked()
    {
        if (_goAwaySent)
        {
            return;
        }

        _goAwaySent = true;
        WriteGoAwayLocked(_lastAcceptedStreamId, Http2ErrorCode.NoError, null);
    }

    private void CloseIfDoneLocked()
    {
        if ((_goAwaySent || _peerGoAway) && _streams.Count == 0 && !_closing)
        {
            _closing = true;
            _input.CancelPendingRead();
        }
    }

    private void KeepAlive()
    {
        lock (Lock)
        {
            if (_closing || _outputClosed)
            {
                return;
            }

            var now = _router.Time.GetTimestamp();
            if (IdleTooLongLocked(now))
            {
                // No stream for Kestrel's KeepAliveTimeout: closed as Kestrel closes an idle HTTP/2 connection.
                GoAwayLocked();
                CloseIfDoneLocked();
                return;
            }

            if (_pingSent != 0)
            {
                if (_router.Time.GetElapsedTime(_pingSent, now) >= _router.KeepAliveTimeout)
                {
                    DirectSyncLog.KeepAliveTimedOut(_router.Logger, Peer, _router.KeepAliveTimeout);
                    _context.Abort(new ConnectionAbortedException("The peer did not answer a keep-alive ping in time."));
                }

                return;
            }

            if (_router.Time.GetElapsedTime(_lastReceived, now) >= _router.KeepAliveDelay)
            {
                _pingSent = now;
                Span<byte> data = stackalloc byte[8];
                BinaryPrimitives.WriteInt64BigEndian(data, now);
                WriteFrameLocked(Http2FrameType.Ping, 0, 0, data);
            }
        }
    }

    /// <summary>Whether the connection has had no stream (nor handler) for the idle timeout; checked at each keep-alive tick.</summary>
    private bool IdleTooLongLocked(long now)
    {
        if (_streams.Count > 0 || _handlers > 0)
        {
            _idleSince = 0;
            return false;
        }

        if (_idleSince == 0)
        {
            _idleSince = now;
            return false;
        }

        return _router.Time.GetElapsedTime(_idleSince, now) >= _router.IdleTimeout;
    }

    /// <summary>The transport failed under the flusher: the connection ends.</summary>
    private void Abort(string reason) => _context.Abort(new ConnectionAbortedException(reason));

    private async Task CloseAsync(Http2ErrorCode? error, string? message)
    {
        List<DirectSyncStream> open;
        lock (Lock)
        {
            _closing = true;
            if (error is { } code)
            {
                _goAwaySent = true;
                WriteGoAwayLocked(_lastStreamId, code, message);
            }

            open = [.. _streams.Values];
            foreach (var stream in open)
            {
                ForgetLocked(stream);
            }

            if (_handlers == 0)
            {
                _handlersDone.TrySetResult();
            }
        }

        foreach (var stream in open)
        {
            stream.Cancel();
        }

        // The handlers end on their cancelled calls (the sync code ends the subscriber at once).
        try
        {
            await _handlersDone.Task.WaitAsync(CloseWait, _router.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A handler stuck past its cancellation: its writes find the output closed.
        }

        Task flushed;
        lock (Lock)
        {
            flushed = _flushing ? (_flushIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task : Task.CompletedTask;
        }

        var drained = true;
        try
        {
            await flushed.WaitAsync(CloseWait, _router.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            drained = false;
        }

        lock (Lock)
        {
            _outputClosed = true;
        }

        if (!drained)
        {
            // The peer does not read: what is left is dropped with the connection. Completing the output now would
            // race the flusher's pending write (over TLS the stream writer throws), and so would the TLS layer's
            // dispose: the abort fails that write, which is waited for.
            Abort("the peer did not read the connection's last bytes");
            try
            {
                await flushed.WaitAsync(CloseWait, _router.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The transport did not fail the write: nothing more can be done here.
            }

            return;
        }

        await _output.CompleteAsync().ConfigureAwait(false);
    }
}
