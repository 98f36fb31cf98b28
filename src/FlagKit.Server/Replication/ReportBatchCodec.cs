using System.Text.Json;
using FlagKit.Server.Releases;
using FlagKit.Telemetry;

namespace FlagKit.Server.Replication;

/// <summary>
/// The payload of a relayed report batch (<see cref="Store.ReportBatchRecord.Payload"/>): UTF-8 JSON,
/// <c>{"schema":1,"reports":[{"i":instance,"f":flag,"v":variant,"e":exposures,"r":requests,"x":failures,"m":measured-from
/// unix ms or null,"l":latency in LatencyHistogram's sparse form}]}</c>. Written and read only by replicas.
/// </summary>
internal static class ReportBatchCodec
{
    /// <summary>The payload schema this server writes and reads.</summary>
    public const int Schema = 1;

    /// <summary>Encodes reports.</summary>
    /// <param name="reports">The reports (one flag's).</param>
    /// <returns>The payload.</returns>
    public static byte[] Encode(IReadOnlyList<ReleaseReport> reports)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("schema", Schema);
            w.WriteStartArray("reports");
            foreach (var r in reports)
            {
                w.WriteStartObject();
                w.WriteString("i", r.Instance);
                w.WriteString("f", r.Flag);
                w.WriteString("v", r.Variant);
                w.WriteNumber("e", r.Exposures);
                w.WriteNumber("r", r.Requests);
                w.WriteNumber("x", r.Failures);
                if (r.MeasuredFrom is { } from)
                {
                    w.WriteNumber("m", from.ToUnixTimeMilliseconds());
                }
                else
                {
                    w.WriteNull("m");
                }

                w.WriteString("l", r.Latency.ToSparseString());
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Decodes a payload.</summary>
    /// <param name="payload">What <see cref="Encode"/> wrote.</param>
    /// <returns>The reports.</returns>
    /// <exception cref="FormatException">Not a payload of <see cref="Schema"/>, naming what is wrong.</exception>
    public static IReadOnlyList<ReleaseReport> Decode(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.GetProperty("schema").GetInt32() != Schema)
            {
                throw new FormatException($"report batch: schema {root.GetProperty("schema")} is not {Schema}.");
            }

            var reports = new List<ReleaseReport>();
            foreach (var e in root.GetProperty("reports").EnumerateArray())
            {
                var measured = e.GetProperty("m");
                reports.Add(new ReleaseReport(
                    e.GetProperty("i").GetString()!, e.GetProperty("f").GetString()!, e.GetProperty("v").GetString()!,
                    e.GetProperty("e").GetInt64(), e.GetProperty("r").GetInt64(), e.GetProperty("x").GetInt64(),
                    LatencyHistogram.ParseSparse(e.GetProperty("l").GetString()!),
                    measured.ValueKind == JsonValueKind.Null ? null : DateTimeOffset.FromUnixTimeMilliseconds(measured.GetInt64())));
            }

            return reports;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"report batch: {e.Message}", e);
        }
    }
}
