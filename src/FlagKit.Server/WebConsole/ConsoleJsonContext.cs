using System.Text.Json.Serialization;

namespace FlagKit.Server.WebConsole;

/// <summary>Source-generated JSON for the console's small endpoints.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(InstancesJson))]
[JsonSerializable(typeof(RolloutPreviewJson))]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext;
