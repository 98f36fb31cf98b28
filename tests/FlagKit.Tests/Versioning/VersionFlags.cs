using System.Text.Json;
using FlagKit.Documents;

namespace FlagKit.Tests.Versioning;

/// <summary>Builds version flag documents for the tests.</summary>
internal static class VersionFlags
{
    /// <summary>
    /// A <c>version</c> flag serving <paramref name="serve"/> to everyone, with variants for 1.3.0 (the off variant,
    /// served when killed), 1.4.0 and 1.5.0.
    /// </summary>
    public static FlagDocument CalcEngine(string serve, string key = "calc-engine") => new()
    {
        Key = key,
        Kind = FlagKind.Version,
        On = true,
        Variants = new Dictionary<string, JsonElement>
        {
            ["v1.3"] = JsonSerializer.SerializeToElement("1.3.0"),
            ["v1.4"] = JsonSerializer.SerializeToElement("1.4.0"),
            ["v1.5"] = JsonSerializer.SerializeToElement("1.5.0"),
        },
        OffVariant = "v1.3",
        DefaultRule = new ServeDocument { Variant = "v" + serve[..3] },
    };

    /// <summary>A string flag (for the policy and migration flags).</summary>
    public static FlagDocument Text(string key, string value, string? offValue = null) => new()
    {
        Key = key,
        Kind = FlagKind.String,
        On = true,
        Variants = new Dictionary<string, JsonElement>
        {
            ["value"] = JsonSerializer.SerializeToElement(value),
            ["off"] = JsonSerializer.SerializeToElement(offValue ?? value),
        },
        OffVariant = "off",
        DefaultRule = new ServeDocument { Variant = "value" },
    };
}
