namespace FlagKit.Sources;

/// <summary>
/// Declares a sync stream dead when nothing has arrived for a deadline: before <c>Welcome</c> the connect timeout,
/// after it three heartbeat intervals. Cancels the stream's token when it fires.
/// </summary>
/// <remarks>
/// One timer, re-armed only when it fires (not on every message): <see cref="Touch"/> is a single timestamp write
/// on the receive path. The timer callback reads that timestamp and either cancels or sleeps for the remainder.
/// Thread-safe: <see cref="Touch"/> runs on the receive loop, the callback on the timer's thread.
/// </remarks>
internal sealed class GrpcStreamWatchdog : IDisposable
{
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _target;
    private readonly ITimer _timer;
    private long _lastMessage;
    private long _deadlineTicks = Timeout.InfiniteTimeSpan.Ticks;
    private volatile bool _fired;

    /// <param name="time">The clock.</param>
    /// <param name="target">Cancelled when the deadline passes with no message.</param>
    public GrpcStreamWatchdog(TimeProvider time, CancellationTokenSource target)
    {
        _time = time;
        _target = target;
        _lastMessage = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((GrpcStreamWatchdog)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>True once the deadline passed and the stream was cancelled.</summary>
    public bool Fired => _fired;

    /// <summary>The deadline in force.</summary>
    public TimeSpan Deadline => TimeSpan.FromTicks(Interlocked.Read(ref _deadlineTicks));

    /// <summary>Counts from now with a new deadline (<see cref="Timeout.InfiniteTimeSpan"/> disarms).</summary>
    /// <param name="deadline">How long the stream may stay silent.</param>
    public void Arm(TimeSpan deadline)
    {
        Interlocked.Exchange(ref _deadlineTicks, deadline.Ticks);
        Touch();
        _timer.Change(deadline, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Records that a message arrived now.</summary>
    public void Touch() => Interlocked.Exchange(ref _lastMessage, _time.GetTimestamp());

    private void OnTimer()
    {
        TimeSpan deadline = Deadline;
        if (deadline == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        TimeSpan silent = _time.GetElapsedTime(Interlocked.Read(ref _lastMessage));
        if (silent >= deadline)
        {
            _fired = true;
            try
            {
                _target.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The stream ended on its own while the timer was firing.
            }

            return;
        }

        try
        {
            _timer.Change(deadline - silent, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: the stream is over.
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _timer.Dispose();
}
