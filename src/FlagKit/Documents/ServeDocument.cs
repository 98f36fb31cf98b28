using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>What a default rule serves: exactly one of a variant and a split.</summary>
public sealed class ServeDocument
{
    /// <summary>Serve this variant.</summary>
    public string? Variant { get; set; }

    /// <summary>Split traffic by percentage.</summary>
    public SplitDocument? Split { get; set; }
}
