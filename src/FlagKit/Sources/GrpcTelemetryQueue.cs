using System.Threading.Channels;
using FlagKit.Telemetry;

namespace FlagKit.Sources;

/// <summary>
/// The intervals waiting to be sent by a <see cref="GrpcFlagSource"/>: bounded (the oldest is dropped past
/// <see cref="Capacity"/>), and taken only while a stream whose server takes telemetry is open; with none open, an
/// offered interval is dropped at once. Every drop is counted, and the next summary sent carries the count. Offering
/// never blocks.
/// </summary>
internal sealed class GrpcTelemetryQueue : ITelemetryTransport
{
    /// <summary>Intervals kept while a stream is slow to take them (one minute at the default interval).</summary>
    public const int Capacity = 6;

    private readonly Channel<TelemetryInterval> _queue;
    private int _openStreams;
    private long _droppedSinceSent;
    private long _dropped;
    private long _sent;

    /// <summary>Creates an empty queue.</summary>
    public GrpcTelemetryQueue()
    {
        _queue = Channel.CreateBounded<TelemetryInterval>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = false, SingleWriter = false },
            _ => CountDropped());
    }

    /// <summary>Intervals dropped since start (no stream that takes telemetry, queue full, or a write that failed).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Intervals sent since start.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Whether a stream that takes telemetry is open.</summary>
    public bool Accepting => Volatile.Read(ref _openStreams) > 0;

    /// <summary>The intervals to send.</summary>
    public ChannelReader<TelemetryInterval> Reader => _queue.Reader;

    /// <inheritdoc/>
    public void Offer(TelemetryInterval interval)
    {
        if (!Accepting || !_queue.Writer.TryWrite(interval))
        {
            CountDropped();
        }
    }

    /// <summary>A stream that takes telemetry opened.</summary>
    public void StreamOpened() => Interlocked.Increment(ref _openStreams);

    /// <summary>That stream closed.</summary>
    public void StreamClosed() => Interlocked.Decrement(ref _openStreams);

    /// <summary>Counts one dropped interval.</summary>
    public void CountDropped()
    {
        Interlocked.Increment(ref _dropped);
        Interlocked.Increment(ref _droppedSinceSent);
    }

    /// <summary>Counts one interval sent.</summary>
    public void CountSent() => Interlocked.Increment(ref _sent);

    /// <summary>Takes the count of intervals dropped since the last summary sent.</summary>
    /// <returns>The count, now reset.</returns>
    public long TakeDroppedSinceSent() => Interlocked.Exchange(ref _droppedSinceSent, 0);
}
