using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>A segment rule: all conditions must match.</summary>
public sealed class SegmentRuleDocument
{
    /// <summary>All must match (AND).</summary>
    public List<ConditionDocument> Conditions { get; set; } = [];
}
