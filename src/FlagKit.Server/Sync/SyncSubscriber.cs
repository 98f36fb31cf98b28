using System.Threading.Channels;

namespace FlagKit.Server.Sync;

/// <summary>Why a subscriber's stream ends.</summary>
internal enum SubscriberEnd
{
    /// <summary>Still running.</summary>
    None,

    /// <summary>The SDK closed its side or the connection dropped.</summary>
    ClientGone,

    /// <summary>It fell behind its bounded queue: it is told to resync.</summary>
    Resync,

    /// <summary>The server is shutting down: it is told the server is going away.</summary>
    GoingAway,

    /// <summary>Its API key was revoked.</summary>
    Revoked,

    /// <summary>The SDK sent a message that is refused (over a bound, undecodable): the stream ends with INVALID_ARGUMENT.</summary>
    Refused,
}

/// <summary>
/// One connected SDK stream: a bounded queue of batches (shared, pre-serialized frames) and the reason it ended.
/// The hub enqueues without ever waiting; a full queue ends the subscriber with <see cref="SubscriberEnd.Resync"/>,
/// so one slow reader costs at most <c>capacity</c> references to frames every subscriber shares.
/// </summary>
/// <remarks>Thread safety: <see cref="TryEnqueue"/> and <see cref="End"/> may be called from any thread.</remarks>
internal sealed class SyncSubscriber : IDisposable
{
    private readonly Channel<SyncBatch> _queue;
    private readonly CancellationTokenSource _ended = new();
    private int _end;
    private SyncFrame? _priority;

    /// <summary>Creates a subscriber.</summary>
    /// <param name="id">Stream id (unique in this process).</param>
    /// <param name="keyId">The API key that opened the stream.</param>
    /// <param name="capacity">Batches that may wait.</param>
    public SyncSubscriber(long id, string keyId, int capacity)
    {
        Id = id;
        KeyId = keyId;
        Capacity = capacity;
        _queue = Channel.CreateBounded<SyncBatch>(new BoundedChannelOptions(capacity)
        {
            SingleReader = false,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Stream id.</summary>
    public long Id { get; }

    /// <summary>The API key that opened the stream.</summary>
    public string KeyId { get; }

    /// <summary>How many batches may wait.</summary>
    public int Capacity { get; }

    /// <summary>Batches waiting now.</summary>
    public int QueuedBatches => _queue.Reader.Count;

    /// <summary>Why the stream ended (<see cref="SubscriberEnd.None"/> while it runs).</summary>
    public SubscriberEnd EndReason => (SubscriberEnd)Volatile.Read(ref _end);

    /// <summary>A human-readable reason sent with Resync / GoingAway.</summary>
    public string EndMessage { get; private set; } = "";

    /// <summary>Cancelled when the stream is ended.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>The queue, read by the stream's writer loop only.</summary>
    public ChannelReader<SyncBatch> Reader => _queue.Reader;

    /// <summary>Whether the SDK offered mode schemas in Hello: it is sent <c>ModeState</c>s.</summary>
    public bool TakesModes { get; init; }

    /// <summary>
    /// Sends <paramref name="frame"/> ahead of everything queued: the writer takes it before its next frame, even in the
    /// middle of a batch. Only the latest waits (each carries the whole state); never ends the subscriber.
    /// </summary>
    /// <param name="frame">The frame (a <c>ModeState</c>).</param>
    public void Prioritize(SyncFrame frame)
    {
        if (Interlocked.Exchange(ref _priority, frame) is null)
        {
            // Wakes an idle writer; a busy one takes the frame between two frames anyway, so a full queue loses nothing.
            _queue.Writer.TryWrite(SyncBatch.Wake);
        }
    }

    /// <summary>The frame to send before anything else, if one waits (taken: the next call returns null).</summary>
    /// <returns>The frame, or null.</returns>
    public SyncFrame? TakePriority() => Interlocked.Exchange(ref _priority, null);

    /// <summary>Queues a batch without waiting.</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>False when the queue is full (the caller ends the subscriber) or it already ended.</returns>
    public bool TryEnqueue(SyncBatch batch)
    {
        batch.FanOut?.Add();
        var queued = _queue.Writer.TryWrite(batch);
        if (!queued)
        {
            batch.FanOut?.Abandoned();
        }

        return queued;
    }

    /// <summary>Ends the stream once; later calls are ignored. Frees the queue at once.</summary>
    /// <param name="reason">Why.</param>
    /// <param name="message">What the SDK is told.</param>
    /// <returns>True when this call ended it.</returns>
    public bool End(SubscriberEnd reason, string message)
    {
        if (Interlocked.CompareExchange(ref _end, (int)reason, (int)SubscriberEnd.None) != (int)SubscriberEnd.None)
        {
            return false;
        }

        EndMessage = message;
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var left))
        {
            left.FanOut?.Abandoned();
            left.Fanout?.Abandoned();
        }

        try
        {
            // Never run the stream's continuations inline: End is called under the hub's lock.
            _ = _ended.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
        }

        return true;
    }

    /// <inheritdoc />
    public void Dispose() => _ended.Dispose();
}
