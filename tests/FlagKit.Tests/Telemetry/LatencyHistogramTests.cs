using FlagKit.Telemetry;

namespace FlagKit.Tests.Telemetry;

public sealed class LatencyHistogramTests
{
    [TestCase(0.5, 0.3)]
    [TestCase(0.95, 0.5)]
    [TestCase(0.99, 0.5)]
    [TestCase(0.99, 1.2)]
    [TestCase(0.999, 0.8)]
    public void Percentile_LogNormalSamples_WithinTwoPercentOfExact(double quantile, double sigma)
    {
        var random = new Random(1234);
        foreach (var median in new[] { 0.3, 4.0, 40.0, 900.0 })
        {
            var samples = new double[20_000];
            var histogram = new LatencyHistogram();
            for (var i = 0; i < samples.Length; i++)
            {
                samples[i] = median * Math.Exp(sigma * Gaussian(random));
                histogram.Record(samples[i]);
            }

            Array.Sort(samples);
            var exact = samples[(int)Math.Ceiling(quantile * samples.Length) - 1];

            Assert.That(histogram.Percentile(quantile), Is.EqualTo(exact).Within(2).Percent, $"median {median} ms");
        }
    }

    [Test]
    public void Record_TimeSpan_SameBucketAsMilliseconds()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(TimeSpan.FromMilliseconds(12.5));

        Assert.That(histogram[LatencyHistogram.BucketIndex(12.5)], Is.EqualTo(1));
    }

    [TestCase(0.0, 0)]
    [TestCase(-3.0, 0)]
    [TestCase(double.NaN, 0)]
    [TestCase(0.049, 0)]
    [TestCase(0.05, 1)]
    [TestCase(120_000.0, LatencyHistogram.BucketCount - 1)]
    [TestCase(double.PositiveInfinity, LatencyHistogram.BucketCount - 1)]
    public void BucketIndex_OutOfRangeValues_UnderOrOverflow(double milliseconds, int expected)
    {
        Assert.That(LatencyHistogram.BucketIndex(milliseconds), Is.EqualTo(expected));
    }

    [Test]
    public void BucketIndex_EveryRegularBucket_HoldsItsBounds()
    {
        for (var i = 1; i <= LatencyHistogram.RegularBuckets; i++)
        {
            var lower = LatencyHistogram.LowerBound(i);
            var upper = LatencyHistogram.LowerBound(i + 1);
            Assert.That(LatencyHistogram.BucketIndex(lower * 1.0001), Is.EqualTo(i), $"bucket {i} lower");
            Assert.That(LatencyHistogram.BucketIndex(upper * 0.9999), Is.EqualTo(i), $"bucket {i} upper");
        }

        Assert.That(LatencyHistogram.MaxMilliseconds, Is.GreaterThanOrEqualTo(60_000));
    }

    [Test]
    public void BucketIndex_RandomValues_MatchesTheLogarithmDefinition()
    {
        var random = new Random(99);
        for (var i = 0; i < 200_000; i++)
        {
            var value = LatencyHistogram.MinMilliseconds * Math.Exp(random.NextDouble() * 14);
            var exact = Math.Log(value / LatencyHistogram.MinMilliseconds) / Math.Log(LatencyHistogram.Growth);
            if (exact >= LatencyHistogram.RegularBuckets || Math.Abs(exact - Math.Round(exact)) < 1e-9)
            {
                continue; // overflow, or too close to a bound for the reference's own rounding
            }

            Assert.That(LatencyHistogram.BucketIndex(value), Is.EqualTo((int)exact + 1), $"{value} ms");
        }
    }

    [Test]
    public void Reset_RecordedHistogram_EmptiesEveryBucket()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(3.0);
        histogram.Record(70_000.0);

        histogram.Reset();

        Assert.That(histogram.Count, Is.Zero);
        Assert.That(histogram.ToSparseString(), Is.EqualTo("lh1:"));
    }

    [Test]
    public void Merge_PartsOfASample_EqualsRecordingAll()
    {
        var random = new Random(7);
        var all = new LatencyHistogram();
        var parts = new[] { new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram() };
        for (var i = 0; i < 30_000; i++)
        {
            var value = 25 * Math.Exp(0.7 * Gaussian(random));
            all.Record(value);
            parts[i % 3].Record(value);
        }

        var merged = new LatencyHistogram();
        foreach (var part in parts)
        {
            merged.Merge(part);
        }

        Assert.That(merged.ToArray(), Is.EqualTo(all.ToArray()));
        Assert.That(merged.Count, Is.EqualTo(30_000));
        Assert.That(merged.Percentile(0.99), Is.EqualTo(all.Percentile(0.99)));
    }

    [Test]
    public void ParseSparse_SerializedHistogram_RoundTrips()
    {
        var histogram = new LatencyHistogram();
        foreach (var value in new[] { 0.01, 1.0, 1.0, 37.5, 250.0, 250.1, 99_999.0 })
        {
            histogram.Record(value);
        }

        var text = histogram.ToSparseString();
        var parsed = LatencyHistogram.ParseSparse(text);

        Assert.That(text, Does.StartWith("lh1:0:1,"));
        Assert.That(parsed.ToArray(), Is.EqualTo(histogram.ToArray()));
        Assert.That(parsed.ToSparseString(), Is.EqualTo(text));
    }

    [Test]
    public void ParseSparse_Empty_RoundTrips()
    {
        var text = new LatencyHistogram().ToSparseString();

        Assert.That(text, Is.EqualTo("lh1:"));
        Assert.That(LatencyHistogram.ParseSparse(text).Count, Is.Zero);
    }

    [TestCase("lh2:1:1", "expected layout prefix 'lh1:'")]
    [TestCase("1:1", "expected layout prefix 'lh1:'")]
    [TestCase("lh1:359:1", "entry 1 ('359:1'): bucket index 359 is out of range 0..358")]
    [TestCase("lh1:3:1,-1:1", "entry 2 ('-1:1'): bucket index -1 is out of range 0..358")]
    [TestCase("lh1:3:1,4:-2", "entry 2 ('4:-2'): count -2 is negative")]
    [TestCase("lh1:4:1,4:1", "entry 2 ('4:1'): bucket indexes must be strictly ascending (4 after 4)")]
    [TestCase("lh1:5:1,4:1", "entry 2 ('4:1'): bucket indexes must be strictly ascending (4 after 5)")]
    [TestCase("lh1:5:x", "entry 1 ('5:x') is not 'index:count'")]
    [TestCase("lh1:5:1,", "entry 2 ('') is not 'index:count'")]
    [TestCase("lh1:1:9223372036854775807,2:1", "entry 2 ('2:1'): the total count overflows")]
    public void ParseSparse_BadInput_ThrowsNamingTheEntry(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => LatencyHistogram.ParseSparse(text));

        Assert.That(error!.Message, Does.Contain(message));
    }

    [Test]
    public void FromArray_NegativeCount_Throws()
    {
        var counts = new long[LatencyHistogram.BucketCount];
        counts[17] = -1;

        Assert.That(() => LatencyHistogram.FromArray(counts), Throws.TypeOf<FormatException>().With.Message.Contains("bucket 17"));
        Assert.That(() => LatencyHistogram.FromArray(new long[3]), Throws.TypeOf<FormatException>().With.Message.Contains("3 buckets"));
    }

    [Test]
    public void Percentile_Empty_IsNaN()
    {
        Assert.That(new LatencyHistogram().Percentile(0.95), Is.NaN);
        Assert.That(() => new LatencyHistogram().Percentile(0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Record_ManyThreads_CountsEveryValue()
    {
        var histogram = new LatencyHistogram();
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                histogram.Record(10.0);
            }
        });

        Assert.That(histogram.Count, Is.EqualTo(200_000));
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
