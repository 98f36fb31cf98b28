using System.Text.Json.Serialization;

namespace FlagKit.Modes;

/// <summary>System.Text.Json source-generated metadata for the mode document (no reflection, AOT-safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = true,
    WriteIndented = false)]
[JsonSerializable(typeof(ModeDocument))]
internal sealed partial class ModeJsonContext : JsonSerializerContext;
