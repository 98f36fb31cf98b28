using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>
/// A segment: a named, reusable audience. An account in <see cref="Excluded"/> is never in; one in
/// <see cref="Included"/> always is; otherwise it is in when any rule's conditions all match.
/// </summary>
public sealed class SegmentDocument
{
    /// <summary>Unique key (same rules as flag keys).</summary>
    public string Key { get; set; } = "";

    /// <summary>Free text.</summary>
    public string? Description { get; set; }

    /// <summary>The segment's own version, maintained by the server.</summary>
    public long Version { get; set; }

    /// <summary>Account ids always in the segment.</summary>
    public List<string> Included { get; set; } = [];

    /// <summary>Account ids never in the segment (wins over everything).</summary>
    public List<string> Excluded { get; set; } = [];

    /// <summary>Any rule matching (OR) puts the context in the segment.</summary>
    public List<SegmentRuleDocument> Rules { get; set; } = [];
}
