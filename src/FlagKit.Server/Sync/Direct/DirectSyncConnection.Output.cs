using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// The connection's way out: every frame (from the read loop, the stream handlers and the sync pump) is appended under
/// the connection's lock to one pending buffer, and one flusher at a time moves it into the transport. A change fanned
/// out to the 100 streams of a connection therefore costs one transport write, not 100.
/// </summary>
internal sealed partial class DirectSyncConnection
{
    /// <summary>Pending bytes above which streams' flushes wait for the transport (their writers pause).</summary>
    private const int PendingHighWater = 1024 * 1024;

    /// <summary>A pending buffer up to this size is kept between flushes; a larger one goes back to the pool.</summary>
    private const int KeptBufferBytes = 16 * 1024;

    private byte[] _pending = [];
    private int _pendingLength;
    private byte[] _spare = [];
    private bool _flushing;
    private bool _outputClosed;
    private List<DirectSyncStream>? _drainWaiters;
    private TaskCompletionSource? _flushIdle;

    /// <summary>Whether the pending bytes are over the high-water mark (a stream's flush then waits).</summary>
    private bool OverHighWaterLocked => _pendingLength >= PendingHighWater;

    /// <summary>Whether the pending bytes are so far over the high-water mark that the peer's requests for answers are refused.</summary>
    private bool OverControlLimitLocked => _pendingLength >= PendingHighWater * 2;

    /// <summary>Reserves room for <paramref name="bytes"/> more pending bytes. Caller holds the lock.</summary>
    private Span<byte> ReserveLocked(int bytes)
    {
        var needed = _pendingLength + bytes;
        if (needed > _pending.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(4096, _pending.Length * 2)));
            _pending.AsSpan(0, _pendingLength).CopyTo(bigger);
            ReturnBuffer(_pending);
            _pending = bigger;
        }

        var span = _pending.AsSpan(_pendingLength, bytes);
        _pendingLength = needed;
        return span;
    }

    /// <summary>Appends a frame with its payload. Caller holds the lock.</summary>
    private void WriteFrameLocked(Http2FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (_outputClosed)
        {
            return;
        }

        var span = ReserveLocked(Http2Frame.HeaderLength + payload.Length);
        Http2Frame.Write(span, payload.Length, type, flags, streamId);
        payload.CopyTo(span[Http2Frame.HeaderLength..]);
        ScheduleFlushLocked();
    }

    /// <summary>Appends RST_STREAM. Caller holds the lock.</summary>
    private void WriteResetLocked(int streamId, Http2ErrorCode code)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)code);
        WriteFrameLocked(Http2FrameType.RstStream, 0, streamId, payload);
    }

    /// <summary>Appends WINDOW_UPDATE. Caller holds the lock.</summary>
    internal void WriteWindowUpdateLocked(int streamId, int increment)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)increment);
        WriteFrameLocked(Http2FrameType.WindowUpdate, 0, streamId, payload);
    }

    /// <summary>Appends GOAWAY. Caller holds the lock.</summary>
    private void WriteGoAwayLocked(int lastStreamId, Http2ErrorCode code, string? debug)
    {
        var debugBytes = debug is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(debug);
        Span<byte> payload = stackalloc byte[8 + Math.Min(debugBytes, 256)];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(payload[4..], (uint)code);
        if (debug is not null && debugBytes <= 256)
        {
            System.Text.Encoding.UTF8.GetBytes(debug, payload[8..]);
        }
        else
        {
            payload = payload[..8];
        }

        WriteFrameLocked(Http2FrameType.GoAway, 0, 0, payload);
    }

    /// <summary>
    /// Sends as much of a stream's data as both flow-control windows and the peer's frame size allow, as DATA frames.
    /// Caller holds the lock.
    /// </summary>
    /// <returns>Bytes sent.</returns>
    private int SendDataLocked(DirectSyncStream stream, ReadOnlySpan<byte> data)
    {
        var sent = 0;
        while (sent < data.Length && !_outputClosed)
        {
            var chunk = (int)Math.Min(Math.Min(data.Length - sent, _peerMaxFrameSize), Math.Min(_sendWindow, stream.SendWindow));
            if (chunk <= 0)
            {
                break;
            }

            var span = ReserveLocked(Http2Frame.HeaderLength + chunk);
            Http2Frame.Write(span, chunk, Http2FrameType.Data, 0, stream.Id);
            data.Slice(sent, chunk).CopyTo(span[Http2Frame.HeaderLength..]);
            _sendWindow -= chunk;
            stream.SendWindow -= chunk;
            sent += chunk;
        }

        if (sent > 0)
        {
            ScheduleFlushLocked();
        }

        return sent;
    }

    /// <summary>Registers a stream whose flush waits until the pending bytes drain below the high-water mark. Caller holds the lock.</summary>
    private void WaitForDrainLocked(DirectSyncStream stream) => (_drainWaiters ??= []).Add(stream);

    private void ScheduleFlushLocked()
    {
        if (_flushing || _outputClosed)
        {
            return;
        }

        _flushing = true;
        _ = FlushLoopAsync();
    }

    private async Task FlushLoopAsync()
    {
        // Off the caller's thread: a writer (the pump) appends and moves on, whatever the transport does.
        await Task.Yield();
        byte[] batch = [];
        while (true)
        {
            int length;
            List<DirectSyncStream>? drained = null;
            lock (Lock)
            {
                ReturnSpareLocked(batch);
                if (_pendingLength == 0 || _outputClosed)
                {
                    _flushing = false;
                    _flushIdle?.TrySetResult();
                    drained = TakeDrainWaitersLocked();
                    ReleaseIdleBuffersLocked();
                    CompleteDrained(drained);
                    return;
                }

                batch = _pending;
                length = _pendingLength;
                _pending = _spare;
                _spare = [];
                _pendingLength = 0;
                if (!OverHighWaterLocked)
                {
                    drained = TakeDrainWaitersLocked();
                }
            }

            CompleteDrained(drained);
            FlushResult result;
            try
            {
                _output.Write(batch.AsSpan(0, length));
                result = await _output.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
            {
                result = new FlushResult(isCanceled: false, isCompleted: true);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                lock (Lock)
                {
                    _outputClosed = true;
                    _flushing = false;
                    _flushIdle?.TrySetResult();
                    ReturnSpareLocked(batch);
                    drained = TakeDrainWaitersLocked();
                }

                CompleteDrained(drained);
                Abort("the transport closed");
                return;
            }
        }
    }

    private List<DirectSyncStream>? TakeDrainWaitersLocked()
    {
        var waiters = _drainWaiters;
        _drainWaiters = null;
        return waiters;
    }

    private static void CompleteDrained(List<DirectSyncStream>? drained)
    {
        if (drained is null)
        {
            return;
        }

        foreach (var stream in drained)
        {
            stream.Body.Drained();
        }
    }

    private void ReturnSpareLocked(byte[] batch)
    {
        if (batch.Length == 0)
        {
            return;
        }

        if (_spare.Length == 0 && batch.Length <= KeptBufferBytes)
        {
            _spare = batch;
        }
        else
        {
            ReturnBuffer(batch);
        }
    }

    /// <summary>An idle connection keeps no buffer: 10 000 idle streams must cost little.</summary>
    private void ReleaseIdleBuffersLocked()
    {
        if (_pendingLength == 0)
        {
            ReturnBuffer(_pending);
            _pending = [];
        }

        ReturnBuffer(_spare);
        _spare = [];
    }

    private static void ReturnBuffer(byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
