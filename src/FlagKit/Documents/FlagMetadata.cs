using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>Ownership and lifetime of a flag.</summary>
public sealed class FlagMetadata
{
    /// <summary>The team or person who owns the flag.</summary>
    public string? Owner { get; set; }

    /// <summary>Temporary (release) or permanent (operational).</summary>
    public FlagLifetime Lifetime { get; set; } = FlagLifetime.Temporary;

    /// <summary>When a temporary flag is expected to be removed.</summary>
    public DateOnly? Expires { get; set; }
}
