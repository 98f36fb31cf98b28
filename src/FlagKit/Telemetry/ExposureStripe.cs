namespace FlagKit.Telemetry;

/// <summary>
/// Which stripe of a flag's exposure counters the current thread increments. Each thread is given a stripe once, round
/// robin; with at least as many stripes as processors (up to 16), threads running at the same moment mostly write
/// different cache lines, so the counters stay plain (non-interlocked) increments without contention.
/// </summary>
internal static class ExposureStripe
{
    /// <summary>Stripes per counter: the processor count rounded up to a power of two, at most 16.</summary>
    public static readonly int Count = (int)Math.Min(16u, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount));

    /// <summary><see cref="Count"/> − 1.</summary>
    public static readonly int Mask = Count - 1;

    private static int s_next;

    // The stripe plus Count (so that 0 means "not assigned yet"); read with a mask.
    [ThreadStatic]
    private static int t_stripe;

    /// <summary>The current thread's stripe, 0 ..  <see cref="Count"/> − 1.</summary>
    public static int Current
    {
        get
        {
            var stripe = t_stripe;
            return (stripe != 0 ? stripe : Assign()) & Mask;
        }
    }

    private static int Assign()
    {
        var stripe = Count + (Interlocked.Increment(ref s_next) & Mask);
        t_stripe = stripe;
        return stripe;
    }
}
