namespace FlagKit.Server.Sync;

/// <summary>
/// One sync stream's allowance of telemetry summaries: a token bucket of <c>burst</c> summaries refilled at
/// <c>perSecond</c>. A summary over the allowance is dropped; each drop adds one to a debt forgiven at
/// <c>forgivenPerSecond</c>, and a stream whose debt reaches <c>endAfter</c> has kept sending too fast: it is ended.
/// </summary>
/// <remarks>
/// Judged by the server's <see cref="TimeProvider"/> before the summary is parsed: a refused summary costs a few
/// arithmetic operations. Not thread safe: one stream's reader takes its summaries one at a time.
/// </remarks>
internal sealed class TelemetryRateLimit
{
    private readonly TimeProvider _time;
    private readonly double _perSecond;
    private readonly int _burst;
    private readonly int _endAfter;
    private readonly double _forgivenPerSecond;
    private double _tokens;
    private double _debt;
    private long _last;

    /// <summary>Creates a full bucket.</summary>
    /// <param name="time">The server's clock.</param>
    /// <param name="perSecond">Summaries the bucket gains per second.</param>
    /// <param name="burst">Summaries the bucket holds (and starts with).</param>
    /// <param name="endAfter">Debt (drops not yet forgiven) at which the stream is ended.</param>
    /// <param name="forgivenPerSecond">Drops forgiven per second.</param>
    public TelemetryRateLimit(TimeProvider time, double perSecond, int burst, int endAfter, double forgivenPerSecond)
    {
        _time = time;
        _perSecond = perSecond;
        _burst = burst;
        _endAfter = endAfter;
        _forgivenPerSecond = forgivenPerSecond;
        _tokens = burst;
        _last = time.GetTimestamp();
    }

    /// <summary>Summaries dropped on this stream.</summary>
    public long Dropped { get; private set; }

    /// <summary>Takes one summary's place in the allowance.</summary>
    /// <returns>Whether the summary may be read, dropped, or dropped with the stream ended.</returns>
    public TelemetryAdmission Take()
    {
        var now = _time.GetTimestamp();
        var seconds = _time.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        _tokens = Math.Min(_burst, _tokens + (seconds * _perSecond));
        _debt = Math.Max(0, _debt - (seconds * _forgivenPerSecond));
        if (_tokens >= 1)
        {
            _tokens -= 1;
            return TelemetryAdmission.Admitted;
        }

        Dropped++;
        _debt += 1;
        return _debt >= _endAfter ? TelemetryAdmission.Exceeded : TelemetryAdmission.Dropped;
    }
}
