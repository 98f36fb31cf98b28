using System.Text.Json.Serialization;
using FlagKit.Documents;

namespace FlagKit.Server.Writes;

/// <summary>Source-generated JSON metadata for comparing document parts when summarising a change.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<RuleDocument>))]
[JsonSerializable(typeof(List<ConditionDocument>))]
[JsonSerializable(typeof(List<SegmentRuleDocument>))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
