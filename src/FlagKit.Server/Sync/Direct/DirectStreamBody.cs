using System.Buffers;
using System.IO.Pipelines;

namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// A direct stream's response body as the sync code writes it (the pump, the Welcome, the final message): bytes are
/// gathered in a buffer rented for the write and, at each flush, framed as DATA into the connection's pending output as
/// far as the flow-control windows allow. A flush completes at once unless the peer's window is exhausted or the
/// connection's output is over its high-water mark; then it completes when the rest went out (a WINDOW_UPDATE, or the
/// transport drained), which is how the writers above see a slow reader. An idle stream holds no buffer.
/// </summary>
/// <remarks>One writer at a time (the sync code's rule for a response body); the connection completes a pending flush from its own threads.</remarks>
internal sealed class DirectStreamBody : PipeWriter
{
    private readonly DirectSyncStream _stream;
    private byte[] _buffer = [];
    private int _written;
    private int _sentFrom;
    private TaskCompletionSource<FlushResult>? _pendingFlush;

    /// <summary>Creates the body of a stream.</summary>
    /// <param name="stream">The stream.</param>
    public DirectStreamBody(DirectSyncStream stream) => _stream = stream;

    /// <summary>Whether bytes wait for the peer's flow-control window (the connection's lock held).</summary>
    internal bool HasUnsent => _sentFrom < _written;

    /// <inheritdoc />
    public override void Advance(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (_written + bytes > _buffer.Length)
        {
            throw new InvalidOperationException("Advanced past the buffer.");
        }

        _written += bytes;
    }

    /// <inheritdoc />
    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <inheritdoc />
    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <inheritdoc />
    public override void CancelPendingFlush() => Interlocked.Exchange(ref _pendingFlush, null)?.TrySetResult(new FlushResult(isCanceled: true, isCompleted: false));

    /// <inheritdoc />
    public override void Complete(Exception? exception = null)
    {
        // The stream's end (trailers) is written by the stream when its handler returns.
    }

    /// <inheritdoc />
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _stream.Connection.Flush(this, _stream);

    /// <summary>The bytes written and not yet sent (the connection's lock held).</summary>
    internal ReadOnlySpan<byte> UnsentLocked => _buffer.AsSpan(_sentFrom, _written - _sentFrom);

    /// <summary>Records bytes sent (the connection's lock held); true when nothing is left (the buffer is then given back).</summary>
    /// <param name="bytes">Bytes sent.</param>
    /// <returns>True when everything was sent.</returns>
    internal bool SentLocked(int bytes)
    {
        _sentFrom += bytes;
        if (_sentFrom < _written)
        {
            return false;
        }

        Release();
        return true;
    }

    /// <summary>A flush that waits: completed by <see cref="Drained"/>, <see cref="Closed"/> or <see cref="CancelPendingFlush"/>.</summary>
    internal ValueTask<FlushResult> Wait()
    {
        var pending = new TaskCompletionSource<FlushResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _pendingFlush, pending);
        return new ValueTask<FlushResult>(pending.Task);
    }

    /// <summary>What waited was sent (or the connection's output drained).</summary>
    internal void Drained() => Interlocked.Exchange(ref _pendingFlush, null)?.TrySetResult(default);

    /// <summary>
    /// The stream or its connection closed: a waiting flush completes as completed. The buffer stays with the writer,
    /// which may be filling it right now; its next flush gives it back (<see cref="Release"/>).
    /// </summary>
    internal void Closed() => Interlocked.Exchange(ref _pendingFlush, null)?.TrySetResult(new FlushResult(isCanceled: false, isCompleted: true));

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 512));
        _buffer.AsSpan(_sentFrom, _written - _sentFrom).CopyTo(bigger);
        _written -= _sentFrom;
        _sentFrom = 0;
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }

    /// <summary>Gives the buffer back and forgets what it held; called by the writer's own flush.</summary>
    internal void Release()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
        _written = 0;
        _sentFrom = 0;
    }
}
