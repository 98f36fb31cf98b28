namespace FlagKit.Server.Diagnostics;

/// <summary>
/// Times one published change's fan-out: from the publish (right after the durable commit) to the moment the last
/// subscriber that took the batch had it written to its stream. Carried by the change's <c>SyncBatch</c>.
/// </summary>
/// <remarks>
/// <para>The publisher holds one count while it enqueues; each subscriber queue that takes the batch adds one and gives
/// it back when its stream has written the batch (<see cref="Written"/>) or the subscriber ended with the batch still
/// queued (<see cref="Abandoned"/>). When the count reaches zero the latency to the latest write is recorded; a change
/// that no stream wrote is not sampled, nor is one whose stream ended in the middle of writing it.</para>
/// <para>Thread safety: all members are safe to call concurrently.</para>
/// </remarks>
internal sealed class FanOutClock
{
    private readonly ServerMetrics _metrics;
    private readonly string _environment;
    private readonly long _started;
    private int _pending = 1;
    private long _lastWritten;

    /// <summary>Starts the clock, held by the publisher until <see cref="Published"/>.</summary>
    /// <param name="metrics">Where the latency is recorded.</param>
    /// <param name="environment">The environment.</param>
    /// <param name="started">The publish's timestamp.</param>
    public FanOutClock(ServerMetrics metrics, string environment, long started)
    {
        _metrics = metrics;
        _environment = environment;
        _started = started;
    }

    /// <summary>A subscriber queue is about to take the batch.</summary>
    public void Add() => Interlocked.Increment(ref _pending);

    /// <summary>A subscriber's stream has written the whole batch.</summary>
    public void Written()
    {
        var now = _metrics.Now();
        var seen = Volatile.Read(ref _lastWritten);
        while (now > seen)
        {
            var was = Interlocked.CompareExchange(ref _lastWritten, now, seen);
            if (was == seen)
            {
                break;
            }

            seen = was;
        }

        Release();
    }

    /// <summary>A subscriber did not take the batch after all, or ended before writing it.</summary>
    public void Abandoned() => Release();

    /// <summary>The publisher has offered the batch to every subscriber.</summary>
    public void Published() => Release();

    private void Release()
    {
        if (Interlocked.Decrement(ref _pending) == 0 && Volatile.Read(ref _lastWritten) is var last and not 0)
        {
            _metrics.FanOutDone(_environment, _started, last);
        }
    }
}
