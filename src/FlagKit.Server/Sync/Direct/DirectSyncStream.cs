using System.Buffers;
using System.Buffers.Binary;
using Grpc.Core;

namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// One Sync call on a <see cref="DirectSyncConnection"/>: the call context, the request reader and the response writer
/// that <see cref="FlagSyncService.Sync"/> runs on, in one object (a stream that idles for hours should hold little).
/// The connection's read loop feeds it DATA (gRPC messages are cut from it here, bounded by the method's message size
/// before any byte is kept) and ends it; its handler runs the same service code, interceptor and all, as a call that
/// came through ASP.NET Core.
/// </summary>
/// <remarks>Thread safety: the receive state and the windows are guarded by the connection's lock.</remarks>
internal sealed class DirectSyncStream : ServerCallContext, IAsyncStreamReader<SyncRequestFrame>, IServerStreamWriter<SyncFrame>
{
    private readonly Metadata _requestHeaders;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly DateTime _deadline;
    private readonly int _maxMessageBytes;

    // The message being read: its prefix, then its bytes.
    private int _prefixRead;
    private uint _prefix;
    private byte _prefixFlags;
    private byte[]? _message;
    private int _messageLength;
    private int _messageRead;

    private Queue<(byte[] Bytes, int Length)>? _messages;
    private bool _remoteEnded;
    private RpcException? _readError;
    private TaskCompletionSource? _readWaiter;
    private int _unacknowledged;
    private bool _deadlineExpired;

    /// <summary>Creates a stream that the connection accepted.</summary>
    /// <param name="connection">Its connection.</param>
    /// <param name="id">The HTTP/2 stream id.</param>
    /// <param name="requestHeaders">The request metadata (pseudo-headers and transport headers left out).</param>
    /// <param name="deadline">The call's deadline (from grpc-timeout), or <see cref="DateTime.MaxValue"/>.</param>
    /// <param name="sendWindow">The peer's initial stream window.</param>
    /// <param name="maxMessageBytes">The largest request message.</param>
    public DirectSyncStream(DirectSyncConnection connection, int id, Metadata requestHeaders, DateTime deadline, int sendWindow, int maxMessageBytes)
    {
        Connection = connection;
        Id = id;
        _requestHeaders = requestHeaders;
        _deadline = deadline;
        _maxMessageBytes = maxMessageBytes;
        SendWindow = sendWindow;
        ReceiveWindow = Http2Frame.DefaultWindow;
        Body = new DirectStreamBody(this);
    }

    /// <summary>The connection.</summary>
    public DirectSyncConnection Connection { get; }

    /// <summary>The HTTP/2 stream id.</summary>
    public int Id { get; }

    /// <summary>The peer's window for this stream (the connection's lock held).</summary>
    public long SendWindow { get; set; }

    /// <summary>What the peer may still send on this stream (the connection's lock held).</summary>
    public int ReceiveWindow { get; set; }

    /// <summary>The response body.</summary>
    public DirectStreamBody Body { get; }

    /// <summary>Whether the response headers went out (the connection's lock held).</summary>
    public bool HeadersSent { get; set; }

    /// <summary>Whether the stream is closed (the connection's lock held).</summary>
    public bool Closed { get; private set; }

    /// <summary>Whether the peer ended its side (the connection's lock held).</summary>
    public bool RemoteEnded => _remoteEnded;

    /// <inheritdoc />
    public SyncRequestFrame Current { get; private set; } = null!;

    /// <inheritdoc />
    protected override string MethodCore => DirectSyncRouter.SyncPath;

    /// <inheritdoc />
    protected override string HostCore => Connection.Host;

    /// <inheritdoc />
    protected override string PeerCore => Connection.Peer;

    /// <inheritdoc />
    protected override DateTime DeadlineCore => _deadline;

    /// <inheritdoc />
    protected override Metadata RequestHeadersCore => _requestHeaders;

    /// <inheritdoc />
    protected override CancellationToken CancellationTokenCore => _cancellation.Token;

    /// <inheritdoc />
    protected override Metadata ResponseTrailersCore { get; } = [];

    /// <inheritdoc />
    protected override Status StatusCore { get; set; }

    /// <inheritdoc />
    protected override WriteOptions? WriteOptionsCore { get; set; }

    /// <inheritdoc />
    protected override AuthContext AuthContextCore => new(null, []);

    /// <inheritdoc />
    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var waiter = Task.CompletedTask;
            (byte[] Bytes, int Length) message;
            lock (Connection.Lock)
            {
                if (_messages is { Count: > 0 } queued)
                {
                    message = queued.Dequeue();
                    GiveBackLocked(urgent: false);
                }
                else if (_readError is { } error)
                {
                    throw error;
                }
                else if (_remoteEnded)
                {
                    return false;
                }
                else if (Closed)
                {
                    throw new IOException("The request stream was aborted.");
                }
                else
                {
                    _readWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    waiter = _readWaiter.Task;
                    message = default;
                }
            }

            if (message.Bytes is not null)
            {
                Current = SyncRequestFrame.FromRented(message.Bytes, message.Length);
                return true;
            }

            await waiter.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task WriteAsync(SyncFrame message)
    {
        Body.Write(message.Wire);
        var result = await Body.FlushAsync().ConfigureAwait(false);
        if (result.IsCompleted)
        {
            throw new IOException("The stream closed while a message was written.");
        }
    }

    /// <summary>Whether the call's deadline passed (its token was cancelled for it).</summary>
    public bool DeadlineExpired => Volatile.Read(ref _deadlineExpired);

    /// <summary>The deadline passed: the call is cancelled and ends with DEADLINE_EXCEEDED.</summary>
    public void ExpireDeadline()
    {
        Volatile.Write(ref _deadlineExpired, true);
        Cancel();
    }

    /// <summary>Ends the call's token (the stream closed, the peer reset it, or the handler returned).</summary>
    public void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException)
        {
            // A callback's failure is its owner's; the stream is gone either way.
        }
    }

    /// <summary>DATA for this stream, its padding removed (the connection's lock held).</summary>
    /// <param name="data">The payload.</param>
    /// <param name="flowControlled">The frame's length, padding included (what the window counts).</param>
    /// <param name="endStream">Whether the peer ended its side with it.</param>
    public void OnDataLocked(ReadOnlySequence<byte> data, int flowControlled, bool endStream)
    {
        _unacknowledged += flowControlled;
        if (_readError is null && !_remoteEnded)
        {
            foreach (var segment in data)
            {
                if (!Deframe(segment.Span))
                {
                    break;
                }
            }
        }

        // A message in progress needs the window back now; otherwise it goes back once half of it is used.
        GiveBackLocked(urgent: _message is not null);
        if (endStream)
        {
            OnRemoteEndLocked();
        }
        else
        {
            WakeReaderLocked();
        }
    }

    /// <summary>The peer ended its side (END_STREAM), the connection's lock held.</summary>
    public void OnRemoteEndLocked()
    {
        if (_readError is null && (_prefixRead > 0 || _message is not null))
        {
            _readError = new RpcException(new Status(StatusCode.Internal, "The request stream ended inside a message."));
        }

        _remoteEnded = true;
        WakeReaderLocked();
    }

    /// <summary>The stream is closed (reset by the peer, the connection gone, or its response complete), the connection's lock held.</summary>
    public void CloseLocked()
    {
        if (Closed)
        {
            return;
        }

        Closed = true;
        if (_message is not null)
        {
            ArrayPool<byte>.Shared.Return(_message);
            _message = null;
        }

        while (_messages is { Count: > 0 } queued)
        {
            var dropped = queued.Dequeue().Bytes;
            if (dropped.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(dropped);
            }
        }

        WakeReaderLocked();
        Body.Closed();
    }

    /// <inheritdoc />
    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Sync calls do not propagate their context.");

    /// <inheritdoc />
    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders)
    {
        Connection.SendResponseHeaders(this, responseHeaders);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Gives the peer back the window of the bytes received, once half of it is used (or at once for a message in
    /// progress), but not while read messages wait for the reader: a handler that does not read holds at most one
    /// window of this stream's requests in memory.
    /// </summary>
    private void GiveBackLocked(bool urgent)
    {
        if (_unacknowledged == 0 || _messages is { Count: > 0 } || Closed || _remoteEnded)
        {
            return;
        }

        if (!urgent && ReceiveWindow > Http2Frame.DefaultWindow / 2)
        {
            return;
        }

        Connection.WriteWindowUpdateLocked(Id, _unacknowledged);
        ReceiveWindow += _unacknowledged;
        _unacknowledged = 0;
    }

    private void WakeReaderLocked()
    {
        var waiter = _readWaiter;
        _readWaiter = null;
        waiter?.TrySetResult();
    }

    /// <summary>Cuts gRPC messages out of DATA bytes; false once the stream's reading failed (a bound exceeded).</summary>
    private bool Deframe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_message is null)
            {
                // The 5-byte prefix: compressed flag, big-endian length.
                if (_prefixRead == 0)
                {
                    _prefixFlags = bytes[0];
                    bytes = bytes[1..];
                    _prefixRead = 1;
                    continue;
                }

                _prefix = (_prefix << 8) | bytes[0];
                bytes = bytes[1..];
                if (++_prefixRead < SyncFrame.PrefixLength)
                {
                    continue;
                }

                if (!StartMessage())
                {
                    return false;
                }

                continue;
            }

            var take = Math.Min(bytes.Length, _messageLength - _messageRead);
            bytes[..take].CopyTo(_message.AsSpan(_messageRead));
            _messageRead += take;
            bytes = bytes[take..];
            if (_messageRead == _messageLength)
            {
                QueueMessage(_message, _messageLength);
            }
        }

        return true;
    }

    /// <summary>A prefix is complete: checks it before any of the message is kept.</summary>
    private bool StartMessage()
    {
        var length = _prefix;
        _prefix = 0;
        _prefixRead = 0;
        if (_prefixFlags != 0)
        {
            _readError = new RpcException(new Status(StatusCode.Internal, "Request sent a compressed message, but this server does not decompress Sync requests (grpc-encoding: identity)."));
            return false;
        }

        if (length > (uint)_maxMessageBytes)
        {
            _readError = new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message exceeds the maximum configured message size ({length} bytes; the limit is {_maxMessageBytes})."));
            return false;
        }

        if (length == 0)
        {
            QueueMessage([], 0);
            return true;
        }

        _message = ArrayPool<byte>.Shared.Rent((int)length);
        _messageLength = (int)length;
        _messageRead = 0;
        return true;
    }

    private void QueueMessage(byte[] bytes, int length)
    {
        (_messages ??= new Queue<(byte[] Bytes, int Length)>(1)).Enqueue((bytes, length));
        _message = null;
        _messageLength = 0;
        _messageRead = 0;
    }
}
