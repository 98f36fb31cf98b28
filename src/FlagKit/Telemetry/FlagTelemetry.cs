using FlagKit.Evaluation;
using Microsoft.Extensions.Logging;

namespace FlagKit.Telemetry;

/// <summary>
/// A client's exposure and outcome figures: registers each compiled flag's counters on first use (bounded by the
/// tracked flag/variant cap), closes an interval every <see cref="FlagClientOptions.TelemetryInterval"/> and hands it
/// to the transport (the gRPC source) and the observers (the meter).
/// </summary>
/// <remarks>
/// Evaluation threads only increment counters that already exist; registering (once per compiled flag) and draining
/// take <c>_gate</c>, which the evaluation path never takes. The drain runs on the timer's thread.
/// </remarks>
internal sealed class FlagTelemetry : IDisposable
{
    /// <summary>The histogram of a variant without outcomes in an interval (never modified).</summary>
    internal static readonly LatencyHistogram NoLatency = new();

    private readonly Lock _gate = new();
    private readonly List<ExposureCounts> _registrations = [];
    private readonly ExposureCounts _untracked = new(null, tracked: false);
    private readonly Func<FlagSnapshot> _current;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxTrackedVariants;
    private readonly ITimer? _timer;
    private int _trackedVariants;
    private long _untrackedOutcomes;
    private DateTimeOffset _intervalStart;

    /// <summary>Creates the collector of one client.</summary>
    /// <param name="current">The client's current snapshot (to retire counters of flags no longer served).</param>
    /// <param name="time">The clock.</param>
    /// <param name="interval">How long an interval lasts; <see cref="Timeout.InfiniteTimeSpan"/>: only on <see cref="CloseInterval"/>.</param>
    /// <param name="maxTrackedVariants">Most flag variants reported per variant; beyond, counted as untracked.</param>
    /// <param name="logger">Where failures are logged.</param>
    public FlagTelemetry(Func<FlagSnapshot> current, TimeProvider time, TimeSpan interval, int maxTrackedVariants, ILogger logger)
    {
        _current = current;
        _time = time;
        _logger = logger;
        _maxTrackedVariants = maxTrackedVariants;
        _intervalStart = time.GetUtcNow();
        if (interval != Timeout.InfiniteTimeSpan)
        {
            _timer = time.CreateTimer(static s => ((FlagTelemetry)s!).Tick(), this, interval, interval);
        }
    }

    /// <summary>Where closed intervals are sent (the gRPC source), if anywhere.</summary>
    public ITelemetryTransport? Transport { get; set; }

    /// <summary>The client's meter (outcome durations are recorded on it as they happen).</summary>
    public FlagKitMeter? Meter { get; set; }

    /// <summary>Called with every closed interval, after the transport (the meter; tests).</summary>
    public event Action<TelemetryInterval>? IntervalClosed;

    /// <summary>Flag variants reported one by one now (at most the cap).</summary>
    public int TrackedVariants
    {
        get
        {
            lock (_gate)
            {
                return _trackedVariants;
            }
        }
    }

    /// <summary>Counts one exposure of a flag whose counters may not exist yet (the evaluation path's slow branch).</summary>
    /// <param name="flag">The flag served.</param>
    /// <param name="variant">The variant index served.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CountFirst(CompiledFlag flag, int variant) => ExposureCounts.Count(Register(flag).Counts, variant);

    /// <summary>Records one outcome against the variant a flag served.</summary>
    /// <param name="flag">The flag.</param>
    /// <param name="variant">The variant index it served.</param>
    /// <param name="success">Whether the operation succeeded.</param>
    /// <param name="milliseconds">Its duration.</param>
    public void RecordOutcome(CompiledFlag flag, int variant, bool success, double milliseconds)
    {
        var counts = Volatile.Read(ref flag.Exposures) ?? Register(flag);
        if (!counts.Tracked)
        {
            Interlocked.Increment(ref _untrackedOutcomes);
            return;
        }

        counts.Outcomes(variant).Record(success, milliseconds);
        Meter?.RecordDuration(flag, variant, success, milliseconds);
    }

    /// <summary>Closes the current interval now: what was counted since the last close, per flag and variant.</summary>
    /// <returns>The interval's figures.</returns>
    public TelemetryInterval CloseInterval()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var snapshot = _current();
            var merged = new Dictionary<(string Flag, string Variant), Accumulator>();
            var untracked = Interlocked.Exchange(ref _untrackedOutcomes, 0) + _untracked.TakeAll();
            for (var i = _registrations.Count - 1; i >= 0; i--)
            {
                var counts = _registrations[i];
                var live = snapshot.TryGetFlag(counts.Flag!.Key, out var served) && ReferenceEquals(served, counts.Flag);
                untracked += Drain(counts, live, merged);
                counts.DrainsRetired = live ? 0 : counts.DrainsRetired + 1;
                if (counts.DrainsRetired >= 2)
                {
                    // Gone from the snapshot for a whole interval: readers of older snapshots are done with it.
                    _registrations.RemoveAt(i);
                    _trackedVariants -= counts.Tracked ? counts.LastTotals.Length : 0;
                }
            }

            var figures = new List<TelemetryFigures>(merged.Count);
            foreach (var ((flag, variant), a) in merged)
            {
                figures.Add(new TelemetryFigures(flag, variant, a.Exposures, a.Requests, a.Failures, a.Latency ?? NoLatency));
            }

            figures.Sort(static (x, y) => string.CompareOrdinal(x.Flag, y.Flag) is var c and not 0 ? c : string.CompareOrdinal(x.Variant, y.Variant));
            var interval = new TelemetryInterval(_intervalStart, now - _intervalStart, figures, untracked);
            _intervalStart = now;
            return interval;
        }
    }

    /// <summary>Stops the interval timer.</summary>
    public void Dispose()
    {
        _timer?.Dispose();
        Meter?.Dispose();
    }

    /// <summary>The counters of a flag: the existing ones, or new ones (tracked while under the cap).</summary>
    private ExposureCounts Register(CompiledFlag flag)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref flag.Exposures) is { } existing)
            {
                return existing;
            }

            var variants = Math.Max(1, flag.Variants.Length);
            var tracked = _trackedVariants + variants <= _maxTrackedVariants;
            ExposureCounts counts;
            if (tracked || variants > ExposureCounts.UntrackedVariants)
            {
                // Within the cap; or beyond it but too large for the shared untracked counters (rare).
                _trackedVariants += tracked ? variants : 0;
                counts = new ExposureCounts(flag, tracked);
                _registrations.Add(counts);
            }
            else
            {
                counts = _untracked;
            }

            Volatile.Write(ref flag.Exposures, counts);
            Volatile.Write(ref flag.ExposureCounters, counts.Counts);
            return counts;
        }
    }

    /// <summary>Adds one flag's figures since the last drain to <paramref name="merged"/>; returns its untracked events.</summary>
    private static long Drain(ExposureCounts counts, bool live, Dictionary<(string Flag, string Variant), Accumulator> merged)
    {
        long untracked = 0;
        var variants = counts.Flag!.Variants;
        for (var v = 0; v < variants.Length; v++)
        {
            var total = counts.Total(v);
            var exposures = total - counts.LastTotals[v];
            counts.LastTotals[v] = total;
            if (!counts.Tracked)
            {
                untracked += exposures;
                continue;
            }

            var outcomes = counts.OutcomesIfAny(v);
            if (!live && exposures == 0 && outcomes is null)
            {
                continue;
            }

            var key = (counts.Flag.Key, variants[v].Name);
            if (!merged.TryGetValue(key, out var a))
            {
                merged[key] = a = new Accumulator();
            }

            a.Exposures += exposures;
            if (outcomes is not null)
            {
                a.Latency ??= new LatencyHistogram();
                var (requests, failures) = outcomes.Drain(a.Latency);
                a.Requests += requests;
                a.Failures += failures;
            }
        }

        return untracked;
    }

    private void Tick()
    {
        TelemetryInterval interval;
        try
        {
            interval = CloseInterval();
        }
        catch (Exception e)
        {
            TelemetryLog.IntervalFailed(_logger, e);
            return;
        }

        Transport?.Offer(interval);
        try
        {
            IntervalClosed?.Invoke(interval);
        }
        catch (Exception e)
        {
            TelemetryLog.IntervalFailed(_logger, e);
        }
    }

    private sealed class Accumulator
    {
        public long Exposures;
        public long Requests;
        public long Failures;
        public LatencyHistogram? Latency;
    }
}
