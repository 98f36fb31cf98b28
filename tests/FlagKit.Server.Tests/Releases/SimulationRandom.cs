namespace FlagKit.Server.Tests.Releases;

/// <summary>Seeded draws for the release simulation: normal, Poisson, binomial (exact for small means, normal approximation for large).</summary>
internal sealed class SimulationRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareNormal = double.NaN;

    /// <summary>xoshiro256** seeded by SplitMix64: fast, and the same sequence on every machine.</summary>
    public SimulationRandom(int seed)
    {
        var x = (ulong)seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public double Uniform() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal draw (Box–Muller, both values used).</summary>
    public double Normal()
    {
        if (!double.IsNaN(_spareNormal))
        {
            var spare = _spareNormal;
            _spareNormal = double.NaN;
            return spare;
        }

        var radius = Math.Sqrt(-2 * Math.Log(1 - Uniform()));
        var (sin, cos) = Math.SinCos(2 * Math.PI * Uniform());
        _spareNormal = radius * sin;
        return radius * cos;
    }

    private ulong Next()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Poisson(mean): inversion below 12, a rounded normal approximation above.</summary>
    public long Poisson(double mean)
    {
        if (mean <= 0)
        {
            return 0;
        }

        if (mean >= 12)
        {
            return Math.Max(0, (long)Math.Round(mean + Math.Sqrt(mean) * Normal()));
        }

        var u = Uniform();
        var p = Math.Exp(-mean);
        var cumulative = p;
        long k = 0;
        while (u > cumulative && k < 1000)
        {
            k++;
            p *= mean / k;
            cumulative += p;
        }

        return k;
    }

    /// <summary>Binomial(n, p): Poisson for rare events (small mean), a rounded normal approximation otherwise; clamped to 0..n.</summary>
    public long Binomial(long n, double p)
    {
        var mean = n * p;
        if (n == 0 || p <= 0)
        {
            return 0;
        }

        var draw = mean < 12 ? Poisson(mean) : (long)Math.Round(mean + Math.Sqrt(mean * (1 - p)) * Normal());
        return Math.Clamp(draw, 0, n);
    }

    /// <summary>The standard normal distribution function (Abramowitz–Stegun 26.2.17, error below 1e-7).</summary>
    public static double Phi(double x)
    {
        if (double.IsNegativeInfinity(x)) return 0;
        if (double.IsPositiveInfinity(x)) return 1;
        var t = 1 / (1 + 0.2316419 * Math.Abs(x));
        var density = Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
        var tail = density * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
        return x >= 0 ? 1 - tail : tail;
    }
}
