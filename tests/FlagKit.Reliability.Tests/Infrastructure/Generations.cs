using System.Globalization;
using System.Text;
using FlagKit.Protocol.V1;
using Google.Protobuf;

namespace FlagKit.Reliability.Tests.Infrastructure;

/// <summary>
/// Whole-environment states made to show a torn batch: in "generation g" every one of <c>count</c> string flags serves
/// <c>g</c> (with padding, so that a batch spans many messages). A snapshot that mixes generations was published half-built.
/// </summary>
internal static class Generations
{
    /// <summary>The flag keys of a generation file with <paramref name="count"/> flags.</summary>
    public static IEnumerable<string> Keys(int count) => Enumerable.Range(0, count).Select(Key);

    /// <summary>The key of flag <paramref name="i"/>.</summary>
    public static string Key(int i) => $"f{i:D4}";

    /// <summary>A flags file (JSON) where each of <paramref name="count"/> flags serves generation <paramref name="generation"/>.</summary>
    public static ByteString File(int generation, int count, int padding = 200)
    {
        string pad = new('x', padding);
        var json = new StringBuilder("""{ "schema": 1, "flags": [""");
        for (int i = 0; i < count; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $$"""
                { "key": "{{Key(i)}}", "kind": "string", "on": true, "description": "{{pad}}",
                  "variants": { "g": "{{generation}}" }, "offVariant": "g", "defaultRule": { "variant": "g" } }
                """);
        }

        return ByteString.CopyFromUtf8(json.Append("] }").ToString());
    }

    /// <summary>Applies generation <paramref name="generation"/> as one revision; returns the write's answer.</summary>
    public static async Task<WriteResponse> ApplyAsync(FlagAdmin.FlagAdminClient admin, string environment, int generation, int count, int padding = 200) =>
        await admin.ApplyFileAsync(new ApplyFileRequest { Environment = environment, FileJson = File(generation, count, padding) });

    /// <summary>
    /// The generation <paramref name="snapshot"/> serves, or -1 if its flags disagree (a torn snapshot), or 0 when it
    /// holds none of the flags.
    /// </summary>
    public static int Of(FlagSnapshot snapshot, int count)
    {
        if (snapshot.FlagCount == 0)
        {
            return 0;
        }

        string? seen = null;
        foreach (string key in Keys(count))
        {
            FlagKit.Evaluation.FlagEvaluation evaluation = snapshot.Evaluate(key, null);
            string value = evaluation.Variant?.String ?? "<missing>";
            if (seen is null)
            {
                seen = value;
            }
            else if (seen != value)
            {
                return -1;
            }
        }

        return snapshot.FlagCount == count && int.TryParse(seen, NumberStyles.Integer, CultureInfo.InvariantCulture, out int g) ? g : -1;
    }
}
