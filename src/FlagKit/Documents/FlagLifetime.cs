using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>Whether a flag is meant to be removed once rolled out, or stays (an operational switch).</summary>
public enum FlagLifetime
{
    /// <summary>A release flag: remove it once fully rolled out.</summary>
    [JsonStringEnumMemberName("temporary")] Temporary,

    /// <summary>An operational switch or configuration that stays.</summary>
    [JsonStringEnumMemberName("permanent")] Permanent,
}
