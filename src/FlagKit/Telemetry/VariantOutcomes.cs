namespace FlagKit.Telemetry;

/// <summary>
/// The outcomes recorded against one variant of one compiled flag since the last drain: requests, failures and their
/// latency. Recorded from any thread with interlocked operations; drained by the collector alone.
/// </summary>
internal sealed class VariantOutcomes
{
    private long _requests;
    private long _failures;

    // Failures drained before the request they belong to (a record between the two exchanges): reported with the next
    // drain, so that a drained interval never has more failures than requests. Touched by the drain only.
    private long _failureCarry;

    /// <summary>The durations recorded since the last drain.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Records one outcome: the request first, then the failure, so a drain (failures first) never sees a failure without its request.</summary>
    /// <param name="success">Whether the operation succeeded.</param>
    /// <param name="milliseconds">How long it took.</param>
    public void Record(bool success, double milliseconds)
    {
        Latency.Record(milliseconds);
        Interlocked.Increment(ref _requests);
        if (!success)
        {
            Interlocked.Increment(ref _failures);
        }
    }

    /// <summary>Takes the counts since the last drain and adds the latency to <paramref name="latency"/>.</summary>
    /// <param name="latency">Where the drained durations go.</param>
    /// <returns>Requests and failures (failures ≤ requests).</returns>
    public (long Requests, long Failures) Drain(LatencyHistogram latency)
    {
        var failures = Interlocked.Exchange(ref _failures, 0) + _failureCarry;
        var requests = Interlocked.Exchange(ref _requests, 0);
        var reported = Math.Min(failures, requests);
        _failureCarry = failures - reported;
        Latency.DrainTo(latency);
        return (requests, reported);
    }
}
