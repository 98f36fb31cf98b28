namespace FlagKit.Server.Webhooks;

/// <summary>
/// The delay before retry <c>n</c>: exponential (<c>FirstRetryDelay × 2^(n-1)</c>, at most <c>MaxRetryDelay</c>)
/// with "equal jitter" (a uniformly random point in its upper half), so receivers that failed together are not hit
/// again together; a receiver's <c>Retry-After</c> replaces it (also capped at <c>MaxRetryDelay</c>).
/// </summary>
internal sealed class WebhookBackoff
{
    private readonly TimeSpan _first;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private readonly Lock _lock = new();

    /// <summary>Creates the policy.</summary>
    /// <param name="first">The first retry's delay (before jitter).</param>
    /// <param name="max">The longest delay.</param>
    /// <param name="random">The jitter's source (seeded in tests).</param>
    public WebhookBackoff(TimeSpan first, TimeSpan max, Random random)
    {
        _first = first;
        _max = max;
        _random = random;
    }

    /// <summary>The delay before the attempt after <paramref name="failedAttempt"/>.</summary>
    /// <param name="failedAttempt">The attempt that failed (1 for the first).</param>
    /// <param name="retryAfter">The receiver's <c>Retry-After</c>, if it sent one.</param>
    /// <returns>The delay.</returns>
    public TimeSpan Delay(int failedAttempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } asked)
        {
            return asked < _max ? asked : _max;
        }

        var full = Ceiling(failedAttempt);
        double fraction;
        lock (_lock)
        {
            fraction = _random.NextDouble();
        }

        return TimeSpan.FromTicks((full.Ticks / 2) + (long)(fraction * (full.Ticks - (full.Ticks / 2))));
    }

    /// <summary>The delay before jitter: <c>first × 2^(n-1)</c>, at most the maximum.</summary>
    /// <param name="failedAttempt">The attempt that failed (1 for the first).</param>
    /// <returns>The delay's upper bound.</returns>
    public TimeSpan Ceiling(int failedAttempt)
    {
        var doublings = Math.Min(failedAttempt - 1, 40);
        var ticks = _first.Ticks * Math.Pow(2, doublings);
        return ticks >= _max.Ticks ? _max : TimeSpan.FromTicks((long)ticks);
    }
}
