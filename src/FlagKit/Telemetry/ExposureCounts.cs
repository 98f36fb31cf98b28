using System.Runtime.CompilerServices;
using FlagKit.Evaluation;

namespace FlagKit.Telemetry;

/// <summary>
/// The exposure counters and outcome figures of one compiled flag (one version of a flag, shared by every snapshot that
/// keeps it), created on the flag's first exposure or outcome and read by the client's <see cref="FlagTelemetry"/>.
/// </summary>
/// <remarks>
/// <para>Exposures are counted on the evaluation path, so they cost one plain increment: no lock, no interlocked
/// instruction, no allocation. <see cref="Counts"/> holds one run of counters per <see cref="ExposureStripe"/>, each run
/// padded to whole cache lines, and a thread increments its own stripe's run. The counters only grow; the collector
/// reads them (64-bit reads are atomic) and reports the difference from its last reading, so it never writes where
/// evaluations write. Two threads that share a stripe and increment the same counter in the same instant can lose one
/// count; with as many stripes as processors that takes a thread that ran on another processor before.</para>
/// <para>Outcomes are rarer and carry more (a duration), so they use interlocked operations (<see cref="VariantOutcomes"/>).</para>
/// </remarks>
internal sealed class ExposureCounts
{
    private readonly VariantOutcomes?[] _outcomes;

    /// <summary>Creates the counters of a flag.</summary>
    /// <param name="flag">The compiled flag counted.</param>
    /// <param name="tracked">False when the tracked flag/variant cap was reached: counted, but reported only as a total.</param>
    public ExposureCounts(CompiledFlag flag, bool tracked)
    {
        Flag = flag;
        Tracked = tracked;
        var variants = Math.Max(1, flag.Variants.Length);
        Stride = (variants + 7) & ~7;
        Counts = new long[Stride * ExposureStripe.Count];
        _outcomes = new VariantOutcomes?[variants];
        LastTotals = new long[variants];
    }

    /// <summary>The flag counted.</summary>
    public CompiledFlag Flag { get; }

    /// <summary>Whether the flag's figures are reported per variant (within the cap) or only as untracked events.</summary>
    public bool Tracked { get; }

    /// <summary>Counters per stripe and variant: <c>Counts[stripe * Stride + variant]</c>.</summary>
    public long[] Counts { get; }

    /// <summary>Longs per stripe: the variant count rounded up to a cache line (8).</summary>
    public int Stride { get; }

    /// <summary>The exposure totals at the last drain (collector only).</summary>
    public long[] LastTotals { get; }

    /// <summary>Drains in which the flag was no longer in the client's snapshot (collector only).</summary>
    public int DrainsRetired { get; set; }

    /// <summary>Counts one exposure of <paramref name="variant"/> on the calling thread's stripe.</summary>
    /// <param name="variant">A valid variant index of <see cref="Flag"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Count(int variant) => Counts[(ExposureStripe.Current * Stride) + variant]++;

    /// <summary>The outcome figures of one variant, created on first use.</summary>
    /// <param name="variant">A valid variant index.</param>
    /// <returns>The variant's outcomes.</returns>
    public VariantOutcomes Outcomes(int variant)
    {
        var outcomes = Volatile.Read(ref _outcomes[variant]);
        if (outcomes is not null)
        {
            return outcomes;
        }

        var created = new VariantOutcomes();
        return Interlocked.CompareExchange(ref _outcomes[variant], created, null) ?? created;
    }

    /// <summary>The outcome figures of one variant if any were ever recorded.</summary>
    /// <param name="variant">A valid variant index.</param>
    /// <returns>The outcomes, or null.</returns>
    public VariantOutcomes? OutcomesIfAny(int variant) => Volatile.Read(ref _outcomes[variant]);

    /// <summary>The exposures of one variant counted so far, over all stripes.</summary>
    /// <param name="variant">A valid variant index.</param>
    /// <returns>The total since the counters were created.</returns>
    public long Total(int variant)
    {
        long total = 0;
        for (var i = variant; i < Counts.Length; i += Stride)
        {
            total += Volatile.Read(ref Counts[i]);
        }

        return total;
    }
}
