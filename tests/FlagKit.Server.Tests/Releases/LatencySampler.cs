using FlagKit.Telemetry;

namespace FlagKit.Server.Tests.Releases;

/// <summary>
/// Draws log-normal latencies straight into the real histogram's buckets: each bucket's probability is the log-normal
/// mass between the bucket's bounds. Up to <see cref="ExactLimit"/> values are drawn one by one (alias method, an exact
/// multinomial); above it, each bucket's count is an independent Poisson draw (the multinomial's Poisson approximation).
/// </summary>
internal sealed class LatencySampler
{
    public const int ExactLimit = 500;

    private readonly double[] _probability = new double[LatencyHistogram.BucketCount];
    private readonly double[] _aliasChance = new double[LatencyHistogram.BucketCount];
    private readonly int[] _alias = new int[LatencyHistogram.BucketCount];
    private readonly int[] _support;

    public LatencySampler(double medianMilliseconds, double sigma)
    {
        var previous = 0.0;
        for (var i = 0; i < LatencyHistogram.BucketCount; i++)
        {
            var upper = i == LatencyHistogram.BucketCount - 1 ? 1.0 : SimulationRandom.Phi((Math.Log(LatencyHistogram.LowerBound(i + 1)) - Math.Log(medianMilliseconds)) / sigma);
            _probability[i] = Math.Max(0, upper - previous);
            previous = upper;
        }

        _support = Enumerable.Range(0, LatencyHistogram.BucketCount).Where(i => _probability[i] > 1e-7).ToArray();
        BuildAlias();
    }

    /// <summary>Adds <paramref name="count"/> latencies to <paramref name="histogram"/>.</summary>
    public void Draw(SimulationRandom random, long count, LatencyHistogram histogram)
    {
        if (count <= ExactLimit)
        {
            for (var k = 0; k < count; k++)
            {
                var u = random.Uniform() * LatencyHistogram.BucketCount;
                var i = (int)u;
                histogram.Add(u - i < _aliasChance[i] ? i : _alias[i], 1);
            }

            return;
        }

        foreach (var i in _support)
        {
            histogram.Add(i, random.Poisson(count * _probability[i]));
        }
    }

    private void BuildAlias()
    {
        var n = LatencyHistogram.BucketCount;
        var scaled = _probability.Select(p => p * n).ToArray();
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (var i = 0; i < n; i++)
        {
            (scaled[i] < 1 ? small : large).Push(i);
        }

        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Pop();
            _aliasChance[s] = scaled[s];
            _alias[s] = l;
            scaled[l] += scaled[s] - 1;
            (scaled[l] < 1 ? small : large).Push(l);
        }

        foreach (var i in small.Concat(large))
        {
            _aliasChance[i] = 1;
            _alias[i] = i;
        }
    }
}
