using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>A variant's share of a split.</summary>
public sealed class WeightedVariant
{
    /// <summary>The variant name.</summary>
    public string Variant { get; set; } = "";

    /// <summary>Percent, 0 to 100, in steps of 0.01.</summary>
    public double Weight { get; set; }
}
