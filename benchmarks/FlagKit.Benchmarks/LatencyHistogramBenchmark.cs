using BenchmarkDotNet.Attributes;
using FlagKit.Telemetry;

namespace FlagKit.Benchmarks;

/// <summary>
/// Recording one duration into the telemetry latency histogram (the call the SDK will make per recorded outcome):
/// bucket index by logarithm, one interlocked increment, no allocation.
/// </summary>
public class LatencyHistogramBenchmark
{
    private readonly LatencyHistogram _histogram = new();
    private readonly double[] _values = new double[1024];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        // Log-normal latencies around 40 ms, so the bucket index varies as in real use.
        var random = new Random(42);
        for (var i = 0; i < _values.Length; i++)
        {
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            _values[i] = 40 * Math.Exp(0.6 * gaussian);
        }
    }

    [Benchmark(Description = "LatencyHistogram.Record(double ms)")]
    public void Record()
    {
        var i = _next = (_next + 1) & 1023;
        _histogram.Record(_values[i]);
    }

    [Benchmark(Description = "LatencyHistogram.BucketIndex (no increment)")]
    public int BucketIndex()
    {
        var i = _next = (_next + 1) & 1023;
        return LatencyHistogram.BucketIndex(_values[i]);
    }

    [Benchmark(Description = "LatencyHistogram.Record(TimeSpan)")]
    public void RecordTimeSpan()
    {
        var i = _next = (_next + 1) & 1023;
        _histogram.Record(TimeSpan.FromTicks((long)(_values[i] * TimeSpan.TicksPerMillisecond)));
    }
}
