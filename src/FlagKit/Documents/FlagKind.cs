using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>The type of value a flag serves. Every variant of a flag holds a value of this kind.</summary>
public enum FlagKind
{
    /// <summary><c>true</c> / <c>false</c>.</summary>
    [JsonStringEnumMemberName("bool")] Bool,

    /// <summary>A string.</summary>
    [JsonStringEnumMemberName("string")] String,

    /// <summary>A number (double).</summary>
    [JsonStringEnumMemberName("number")] Number,

    /// <summary>Any JSON value (parsed once, when the snapshot is built).</summary>
    [JsonStringEnumMemberName("json")] Json,

    /// <summary>A semantic version string (e.g. a calc engine version), resolved with version pinning.</summary>
    [JsonStringEnumMemberName("version")] Version,
}
