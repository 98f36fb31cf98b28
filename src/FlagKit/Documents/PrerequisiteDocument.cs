using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>A flag that must serve <see cref="Variant"/> for the dependent flag's targeting to apply.</summary>
public sealed class PrerequisiteDocument
{
    /// <summary>The prerequisite flag's key.</summary>
    public string Flag { get; set; } = "";

    /// <summary>The variant the prerequisite flag must serve.</summary>
    public string Variant { get; set; } = "";
}
