using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>A targeting rule: when all <see cref="Conditions"/> match, serve a variant or a split.</summary>
public sealed class RuleDocument
{
    /// <summary>Identifies the rule in evaluation details, history and rollout commands.</summary>
    public string? Id { get; set; }

    /// <summary>Free text.</summary>
    public string? Description { get; set; }

    /// <summary>All must match (AND). An empty list always matches.</summary>
    public List<ConditionDocument> Conditions { get; set; } = [];

    /// <summary>Serve this variant... (exactly one of <see cref="Variant"/> and <see cref="Split"/>).</summary>
    public string? Variant { get; set; }

    /// <summary>...or split the matching traffic by percentage.</summary>
    public SplitDocument? Split { get; set; }
}
