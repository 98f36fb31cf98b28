namespace FlagKit.Sources;

/// <summary>
/// Exponential backoff with full jitter for the sync stream's reconnects: the n-th consecutive failure waits a
/// uniformly random time in <c>[0, min(max, min * 2^n)]</c> (AWS "full jitter"), so a fleet of SDKs that lost the
/// same server does not come back in lock step.
/// </summary>
/// <remarks>
/// Not thread-safe: one instance belongs to one reconnect loop. Waiting goes through the injected
/// <see cref="TimeProvider"/>, so tests drive it with a fake clock.
/// </remarks>
internal sealed class GrpcReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;
    private readonly TimeProvider _time;

    /// <param name="min">Ceiling of the first wait (must be positive).</param>
    /// <param name="max">Cap on the ceiling of any wait (at least <paramref name="min"/>).</param>
    /// <param name="time">The clock waits go through.</param>
    /// <param name="random">Uniform sample in [0, 1); <see cref="Random.Shared"/> when null.</param>
    public GrpcReconnectBackoff(TimeSpan min, TimeSpan max, TimeProvider time, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        _min = min;
        _max = max;
        _time = time;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>Consecutive failures since the last <see cref="Reset"/>.</summary>
    public int Attempt { get; private set; }

    /// <summary>The ceiling of the next wait: <c>min(max, min * 2^attempt)</c>.</summary>
    public TimeSpan CurrentCeiling
    {
        get
        {
            // 2^attempt overflows quickly; past 30 doublings every realistic min is above any realistic max.
            double factor = Math.Pow(2, Math.Min(Attempt, 30));
            double ticks = Math.Min(_max.Ticks, _min.Ticks * factor);
            return TimeSpan.FromTicks((long)ticks);
        }
    }

    /// <summary>Draws the next wait and counts one more failure.</summary>
    /// <returns>A wait in <c>[0, <see cref="CurrentCeiling"/>]</c> as it was before the call.</returns>
    public TimeSpan NextDelay()
    {
        TimeSpan ceiling = CurrentCeiling;
        if (Attempt < int.MaxValue)
        {
            Attempt++;
        }

        double sample = Math.Clamp(_random(), 0d, 1d);
        return TimeSpan.FromTicks((long)(ceiling.Ticks * sample));
    }

    /// <summary>Waits <see cref="NextDelay"/> on the injected clock.</summary>
    /// <param name="ct">Cancels the wait (throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The wait that was drawn.</returns>
    public async Task<TimeSpan> WaitAsync(CancellationToken ct)
    {
        TimeSpan delay = NextDelay();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
        }

        return delay;
    }

    /// <summary>Forgets past failures: called once a stream has delivered a complete batch.</summary>
    public void Reset() => Attempt = 0;
}
