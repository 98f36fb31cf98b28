using System.Text.Json.Serialization;

namespace FlagKit;

/// <summary>Source-generated JSON for the values <see cref="TestFlags"/> serves (no reflection: trim- and AOT-safe).</summary>
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(string))]
internal sealed partial class TestFlagsJson : JsonSerializerContext;
