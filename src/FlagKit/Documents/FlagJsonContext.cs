using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>System.Text.Json source-generated metadata for the flag documents (no reflection, AOT-safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    WriteIndented = true)]
[JsonSerializable(typeof(FlagFile))]
[JsonSerializable(typeof(FlagDocument))]
[JsonSerializable(typeof(SegmentDocument))]
internal sealed partial class FlagJsonContext : JsonSerializerContext;
