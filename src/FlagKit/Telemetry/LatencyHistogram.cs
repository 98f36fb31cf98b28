using System.Globalization;
using System.Text;

namespace FlagKit.Telemetry;

/// <summary>
/// A mergeable latency histogram with one fixed, log-spaced bucket layout shared by every SDK and the server: bucket
/// counts add, so histograms from many SDK instances and intervals merge exactly, and percentiles are read from the
/// merged counts (never averaged).
/// </summary>
/// <remarks>
/// <para>Layout version 1: bucket 0 holds values below <see cref="MinMilliseconds"/> (and NaN); buckets 1..357 are
/// <c>[0.05 · 1.04^(i−1), 0.05 · 1.04^i)</c> milliseconds; bucket 358 holds values at or above ≈ 60 s. A percentile is
/// reported as its bucket's geometric midpoint, within √1.04 − 1 ≈ 1.98 % of the exact sample value (nearest rank).</para>
/// <para><see cref="Record(double)"/> is allocation-free and safe from many threads (one interlocked increment);
/// the other members expect no concurrent writers.</para>
/// </remarks>
internal sealed class LatencyHistogram
{
    /// <summary>The version of the bucket layout; part of the serialized form.</summary>
    public const int LayoutVersion = 1;

    /// <summary>The lower bound of the first regular bucket, in milliseconds.</summary>
    public const double MinMilliseconds = 0.05;

    /// <summary>The ratio between the bounds of one regular bucket.</summary>
    public const double Growth = 1.04;

    /// <summary>The number of regular (log-spaced) buckets.</summary>
    public const int RegularBuckets = 357;

    /// <summary>All buckets: underflow, the regular ones, overflow.</summary>
    public const int BucketCount = RegularBuckets + 2;

    private const string Prefix = "lh1:";

    // Bucket index without a logarithm: the double's exponent and top 7 mantissa bits pick a sub-range of at most
    // 1/128 relative width (narrower than a 4 % bucket), whose first bucket a table holds; one comparison with the next
    // bucket's lower bound finishes the job.
    private const int KeyShift = 45;
    private static readonly double[] Lower = BuildLowerBounds();
    private static readonly long KeyBase = BitConverter.DoubleToInt64Bits(MinMilliseconds) >> KeyShift;
    private static readonly ushort[] FirstBucket = BuildKeyTable();
    private static readonly double[] Representatives = BuildRepresentatives();

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>The upper bound of the last regular bucket (≈ 60 s); values at or above it overflow.</summary>
    public static double MaxMilliseconds => Lower[RegularBuckets + 1];

    /// <summary>The number of recorded values (sums the buckets).</summary>
    public long Count
    {
        get
        {
            long total = 0;
            foreach (var count in _counts)
            {
                total += Volatile.Read(in count);
            }

            return total;
        }
    }

    /// <summary>The number of values in bucket counts of this layout.</summary>
    public static long CountOf(ReadOnlySpan<long> counts)
    {
        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        return total;
    }

    /// <summary>Records one duration.</summary>
    public void Record(TimeSpan duration) => Record(duration.Ticks / (double)TimeSpan.TicksPerMillisecond);

    /// <summary>Records one duration in milliseconds.</summary>
    public void Record(double milliseconds) => Interlocked.Increment(ref _counts[BucketIndex(milliseconds)]);

    /// <summary>Adds <paramref name="count"/> values to one bucket (parsing, simulation).</summary>
    public void Add(int index, long count)
    {
        if ((uint)index >= BucketCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Bucket index must be 0..{BucketCount - 1}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _counts[index] = checked(_counts[index] + count);
    }

    /// <summary>
    /// Moves every count of this histogram into <paramref name="target"/>, bucket by bucket with an interlocked exchange,
    /// so that a value recorded meanwhile is in one of the two, never lost or counted twice.
    /// </summary>
    public void DrainTo(LatencyHistogram target)
    {
        ArgumentNullException.ThrowIfNull(target);
        for (var i = 0; i < BucketCount; i++)
        {
            if (Volatile.Read(ref _counts[i]) != 0)
            {
                target._counts[i] = checked(target._counts[i] + Interlocked.Exchange(ref _counts[i], 0));
            }
        }
    }

    /// <summary>Adds every bucket of <paramref name="other"/> to this one.</summary>
    public void Merge(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] = checked(_counts[i] + other._counts[i]);
        }
    }

    /// <summary>The count in one bucket.</summary>
    public long this[int index] => _counts[index];

    /// <summary>
    /// The <paramref name="quantile"/> (0 &lt; q ≤ 1) by nearest rank, as its bucket's representative value in
    /// milliseconds; NaN when the histogram is empty.
    /// </summary>
    public double Percentile(double quantile)
    {
        if (!(quantile > 0 && quantile <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "Quantile must be in (0, 1].");
        }

        var count = Count;
        return count == 0 ? double.NaN : ValueAtRank((long)Math.Ceiling(quantile * count));
    }

    /// <summary>The value (bucket representative, ms) of the <paramref name="rank"/>-th smallest recorded value, 1-based; clamped to 1..Count.</summary>
    public double ValueAtRank(long rank) => ValueAtRank(_counts, rank);

    /// <summary>
    /// The value (bucket representative, ms) of the <paramref name="rank"/>-th smallest value in bucket counts of this
    /// layout, 1-based; clamped to 1..count; NaN when there are none.
    /// </summary>
    public static double ValueAtRank(ReadOnlySpan<long> counts, long rank)
    {
        rank = Math.Max(1, rank);
        long seen = 0;
        var last = -1;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0)
            {
                continue;
            }

            last = i;
            seen += counts[i];
            if (seen >= rank)
            {
                return Representatives[i];
            }
        }

        return last < 0 ? double.NaN : Representatives[last];
    }

    /// <summary>Empties every bucket (an interval's histogram is reused for the next one).</summary>
    public void Reset() => Array.Clear(_counts);

    /// <summary>The bucket a value falls in.</summary>
    public static int BucketIndex(double milliseconds)
    {
        if (!(milliseconds >= MinMilliseconds))
        {
            return 0; // below the range, negative or NaN
        }

        if (milliseconds >= Lower[RegularBuckets + 1])
        {
            return RegularBuckets + 1;
        }

        var key = (int)((BitConverter.DoubleToInt64Bits(milliseconds) >> KeyShift) - KeyBase);
        int index = FirstBucket[key];
        return milliseconds >= Lower[index + 1] ? index + 1 : index;
    }

    /// <summary>The lower bound (ms) of bucket <paramref name="index"/>; 0 for the underflow bucket.</summary>
    public static double LowerBound(int index) => index <= 0 ? 0 : Lower[Math.Min(index, RegularBuckets + 1)];

    /// <summary>A copy of the bucket counts (for state that is stored).</summary>
    public long[] ToArray() => (long[])_counts.Clone();

    /// <summary>A histogram from bucket counts (as <see cref="ToArray"/> returns); refuses a wrong length or a negative count.</summary>
    public static LatencyHistogram FromArray(ReadOnlySpan<long> counts)
    {
        if (counts.Length != BucketCount)
        {
            throw new FormatException($"Latency histogram: {counts.Length} buckets, layout {LayoutVersion} has {BucketCount}.");
        }

        for (var i = 0; i < BucketCount; i++)
        {
            if (counts[i] < 0)
            {
                throw new FormatException($"Latency histogram: bucket {i} has a negative count ({counts[i]}).");
            }
        }

        var histogram = new LatencyHistogram();
        counts.CopyTo(histogram._counts);
        return histogram;
    }

    /// <summary>Adds this histogram's bucket counts into <paramref name="target"/> (bucket counts of the same layout).</summary>
    public void AddTo(Span<long> target)
    {
        if (target.Length != BucketCount)
        {
            throw new ArgumentException($"Expected {BucketCount} buckets, got {target.Length}.", nameof(target));
        }

        for (var i = 0; i < BucketCount; i++)
        {
            target[i] = checked(target[i] + _counts[i]);
        }
    }

    /// <summary>
    /// The compact form: <c>lh1:</c> then the non-empty buckets as <c>index:count</c>, ascending, comma-separated
    /// (e.g. <c>lh1:140:3,141:12</c>); an empty histogram is <c>lh1:</c>.
    /// </summary>
    public string ToSparseString()
    {
        var text = new StringBuilder(Prefix);
        for (var i = 0; i < BucketCount; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }

            if (text.Length > Prefix.Length)
            {
                text.Append(',');
            }

            text.Append(i.ToString(CultureInfo.InvariantCulture)).Append(':').Append(_counts[i].ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>
    /// Parses <see cref="ToSparseString"/>'s form. Refuses, with a <see cref="FormatException"/> naming the entry: another
    /// layout version, a malformed entry, an index out of range, indexes not strictly ascending, a negative count, a total
    /// that overflows.
    /// </summary>
    public static LatencyHistogram ParseSparse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new FormatException($"Latency histogram: expected layout prefix '{Prefix}', got '{Shorten(text)}'.");
        }

        var histogram = new LatencyHistogram();
        var body = text.AsSpan(Prefix.Length);
        var previous = -1;
        long total = 0;
        var entry = 0;
        foreach (var range in body.Split(','))
        {
            var part = body[range];
            if (part.IsEmpty && body.IsEmpty)
            {
                break;
            }

            entry++;
            var (index, count) = ParseEntry(part, entry);
            if (index <= previous)
            {
                throw new FormatException($"Latency histogram: entry {entry} ('{part}'): bucket indexes must be strictly ascending ({index} after {previous}).");
            }

            if (total > long.MaxValue - count)
            {
                throw new FormatException($"Latency histogram: entry {entry} ('{part}'): the total count overflows.");
            }

            total += count;
            previous = index;
            histogram._counts[index] = count;
        }

        return histogram;
    }

    private static (int Index, long Count) ParseEntry(ReadOnlySpan<char> part, int entry)
    {
        var colon = part.IndexOf(':');
        if (colon <= 0
            || !int.TryParse(part[..colon], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)
            || !long.TryParse(part[(colon + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var count))
        {
            throw new FormatException($"Latency histogram: entry {entry} ('{part}') is not 'index:count'.");
        }

        if ((uint)index >= BucketCount)
        {
            throw new FormatException($"Latency histogram: entry {entry} ('{part}'): bucket index {index} is out of range 0..{BucketCount - 1}.");
        }

        if (count < 0)
        {
            throw new FormatException($"Latency histogram: entry {entry} ('{part}'): count {count} is negative.");
        }

        return (index, count);
    }

    private static string Shorten(string text) => text.Length <= 16 ? text : text[..16] + "…";

    private static double[] BuildLowerBounds()
    {
        var bounds = new double[RegularBuckets + 2];
        for (var i = 1; i < bounds.Length; i++)
        {
            bounds[i] = MinMilliseconds * Math.Pow(Growth, i - 1);
        }

        return bounds;
    }

    private static ushort[] BuildKeyTable()
    {
        var keys = (int)((BitConverter.DoubleToInt64Bits(Lower[RegularBuckets + 1]) >> KeyShift) - KeyBase) + 1;
        var table = new ushort[keys];
        var bucket = 1;
        for (var key = 0; key < keys; key++)
        {
            var first = Math.Max(MinMilliseconds, BitConverter.Int64BitsToDouble((key + KeyBase) << KeyShift));
            while (bucket < RegularBuckets && Lower[bucket + 1] <= first)
            {
                bucket++;
            }

            table[key] = (ushort)bucket;
        }

        return table;
    }

    private static double[] BuildRepresentatives()
    {
        var values = new double[BucketCount];
        values[0] = MinMilliseconds;
        for (var i = 1; i <= RegularBuckets; i++)
        {
            values[i] = MinMilliseconds * Math.Pow(Growth, i - 0.5);
        }

        values[RegularBuckets + 1] = Lower[RegularBuckets + 1];
        return values;
    }
}
