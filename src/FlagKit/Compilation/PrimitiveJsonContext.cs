using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace FlagKit.Compilation;

/// <summary>Source-generated metadata for the primitive values the SDK writes as variant values (AOT-safe).</summary>
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(double))]
internal sealed partial class PrimitiveJsonContext : JsonSerializerContext;
