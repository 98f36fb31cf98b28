using System.Text.Json.Serialization;

namespace FlagKit.Cli.Commands;

/// <summary>Source-generated serialization for the mode commands' <c>--json</c> shapes (same options as the others).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = true)]
[JsonSerializable(typeof(ModesJson))]
[JsonSerializable(typeof(ModeWriteJson))]
internal sealed partial class ModeCliJsonContext : JsonSerializerContext;
