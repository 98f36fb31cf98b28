namespace FlagKit.Server.Sync;

/// <summary>
/// One published revision's fan-out: how many subscribers it was queued to, and when the last of them had it written.
/// When every one has written it (or ended without), the fan-out is logged once (category
/// <see cref="FanoutLog.Category"/>, Information): the load harness reads durable → last stream written from it.
/// </summary>
/// <remarks>
/// Created only while that log is enabled, so a server that does not log fan-outs pays nothing per stream. Thread
/// safety: <see cref="Written"/> and <see cref="Abandoned"/> are called from every stream's writer at once.
/// </remarks>
internal sealed class FanoutTracker
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private int _remaining;
    private int _written;
    private long _lastWrittenTicks;

    // Garbage collections counted when the revision was published: the log says how many ran during its fan-out.
    private readonly int _gen0 = GC.CollectionCount(0);
    private readonly int _gen1 = GC.CollectionCount(1);
    private readonly int _gen2 = GC.CollectionCount(2);
    private readonly TimeSpan _paused = GC.GetTotalPauseDuration();

    /// <summary>Starts tracking a revision queued to <paramref name="subscribers"/> subscribers.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="revision">The revision.</param>
    /// <param name="subscribers">How many subscribers it was queued to (at least one).</param>
    /// <param name="published">When the hub began queuing it.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The fan-out log.</param>
    public FanoutTracker(string environment, long revision, int subscribers, DateTimeOffset published, TimeProvider time, ILogger logger)
    {
        Environment = environment;
        Revision = revision;
        Published = published;
        _remaining = subscribers;
        _time = time;
        _logger = logger;
    }

    /// <summary>The environment.</summary>
    public string Environment { get; }

    /// <summary>The revision.</summary>
    public long Revision { get; }

    /// <summary>When the hub began queuing the revision to its subscribers.</summary>
    public DateTimeOffset Published { get; }

    /// <summary>One subscriber wrote the whole batch (its last frame was handed to the transport).</summary>
    public void Written()
    {
        var now = _time.GetUtcNow().UtcTicks;
        long seen;
        while ((seen = Interlocked.Read(ref _lastWrittenTicks)) < now && Interlocked.CompareExchange(ref _lastWrittenTicks, now, seen) != seen)
        {
        }

        Interlocked.Increment(ref _written);
        Done();
    }

    /// <summary>One subscriber ended before it wrote the batch.</summary>
    public void Abandoned() => Done();

    private void Done()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            var last = Interlocked.Read(ref _lastWrittenTicks);
            FanoutLog.Completed(
                _logger, Revision, Environment, Volatile.Read(ref _written), Published.ToString("O"),
                last == 0 ? "never" : new DateTimeOffset(last, TimeSpan.Zero).ToString("O"),
                GC.CollectionCount(0) - _gen0, GC.CollectionCount(1) - _gen1, GC.CollectionCount(2) - _gen2,
                Math.Round((GC.GetTotalPauseDuration() - _paused).TotalMilliseconds, 1));
        }
    }
}
