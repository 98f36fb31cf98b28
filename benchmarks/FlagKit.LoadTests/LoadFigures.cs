using FlagKit.Protocol.V1;
using Google.Protobuf;

namespace FlagKit.LoadTests;

/// <summary>What every run of the harness shares: the flag it writes and how it reads a percentile.</summary>
internal static class LoadFigures
{
    /// <summary>A write of number flag <paramref name="key"/> serving <paramref name="value"/> to everyone (a change every SDK sees).</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="value">The value served.</param>
    /// <returns>The request, in the harness's environment.</returns>
    public static PutDocumentRequest Put(string key, int value) => new()
    {
        Environment = ServerProcess.Environment,
        Kind = DocumentKind.Flag,
        Json = ByteString.CopyFromUtf8($$"""{ "key": "{{key}}", "kind": "number", "on": true, "variants": { "v": {{value}}, "off": -1 }, "offVariant": "off", "defaultRule": { "variant": "v" } }"""),
    };

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0–100) of <paramref name="values"/>; NaN when there are none.</summary>
    /// <param name="values">The samples.</param>
    /// <param name="p">The percentile.</param>
    /// <returns>The sample at that rank.</returns>
    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = [.. values.Order()];
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Bytes as whole megabytes, for the report.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>"N MB".</returns>
    public static string Mb(long bytes) => $"{bytes / 1024.0 / 1024.0:F0} MB";
}
