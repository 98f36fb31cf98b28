namespace FlagKit.Telemetry;

/// <summary>
/// Which stripe of a flag's exposure counters the current thread increments. Each thread is given a stripe once, round
/// robin; with at least as many stripes as processors (up to 16), threads running at the same moment mostly write
/// different cache lines, so the counters stay plain (non-interlocked) increments without contention.
/// </summary>
/// <remarks>
/// Layout of a counter array: element 0 unused, then per variant <see cref="Count"/> runs of 8 longs (a cache line),
/// one per stripe; the counter of variant v for the thread is <c>[v * VariantSpan + Offset]</c>. The stride is a
/// constant, so the evaluation path computes the index with a shift and an add.
/// </remarks>
internal static class ExposureStripe
{
    /// <summary>Longs between two stripes' counters: a cache line.</summary>
    public const int LineLongs = 8;

    /// <summary>Stripes per counter: the processor count rounded up to a power of two, at most 16.</summary>
    public static readonly int Count = (int)Math.Min(16u, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount));

    /// <summary>Longs per variant in a counter array (all its stripes).</summary>
    public static readonly int VariantSpan = Count * LineLongs;

    private static int s_next;

    /// <summary>The current thread's offset (<c>stripe * 8 + 1</c>), or 0 before <see cref="Assign"/>.</summary>
    [ThreadStatic]
    public static int Offset;

    /// <summary>The length of a counter array for <paramref name="variants"/> variants.</summary>
    /// <param name="variants">Variants.</param>
    /// <returns>Longs.</returns>
    public static int ArrayLength(int variants) => (variants * VariantSpan) + 1;

    /// <summary>Gives the current thread its stripe (round robin) and returns its offset.</summary>
    /// <returns>The offset, ≥ 1.</returns>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static int Assign()
    {
        var offset = ((Interlocked.Increment(ref s_next) & (Count - 1)) * LineLongs) + 1;
        Offset = offset;
        return offset;
    }
}
