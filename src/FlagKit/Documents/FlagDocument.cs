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

/// <summary>Whether a flag is meant to be removed once rolled out, or stays (an operational switch).</summary>
public enum FlagLifetime
{
    /// <summary>A release flag: remove it once fully rolled out.</summary>
    [JsonStringEnumMemberName("temporary")] Temporary,

    /// <summary>An operational switch or configuration that stays.</summary>
    [JsonStringEnumMemberName("permanent")] Permanent,
}

/// <summary>
/// One flag, as JSON in a flags file and on the wire. Validated and compiled into an immutable snapshot before
/// any evaluation sees it.
/// </summary>
/// <remarks>
/// Evaluation order: killed → <see cref="OffVariant"/>; not <see cref="On"/> → <see cref="OffVariant"/>;
/// a prerequisite not met → <see cref="OffVariant"/>; an account id in <see cref="Targets"/> → that variant;
/// the first matching rule in <see cref="Rules"/>; else <see cref="DefaultRule"/>.
/// </remarks>
public sealed class FlagDocument
{
    /// <summary>Unique key: letters, digits, <c>.</c>, <c>_</c> and <c>-</c>, at most 128 characters.</summary>
    public string Key { get; set; } = "";

    /// <summary>The value type every variant holds.</summary>
    public FlagKind Kind { get; set; } = FlagKind.Bool;

    /// <summary>What the flag is for (free text).</summary>
    public string? Description { get; set; }

    /// <summary>
    /// The flag's own version, maintained by the server (rises by one on every change to this flag).
    /// 0 for flags that never went through a server.
    /// </summary>
    public long Version { get; set; }

    /// <summary>Whether targeting is on. When off, the flag serves <see cref="OffVariant"/>.</summary>
    public bool On { get; set; }

    /// <summary>Kill switch: when set, the flag serves <see cref="OffVariant"/> whatever else is set.</summary>
    /// <remarks>
    /// The flag server keeps it <see langword="true"/> while <see cref="Kills"/> is not empty, so that SDKs which do not
    /// know <see cref="Kills"/> still see the kill. Set without <see cref="Kills"/>, it counts as the flag's own kill.
    /// </remarks>
    public bool Killed { get; set; }

    /// <summary>
    /// Why the flag is killed: one entry per source (the flag itself, a tag, an incident), at most 64. The flag is killed
    /// while any stands, whatever <see cref="Killed"/> says; <see langword="null"/> or empty when no source is recorded.
    /// </summary>
    public List<KillDocument>? Kills { get; set; }

    /// <summary>Tags; ops can kill every flag that carries a tag at once.</summary>
    public List<string> Tags { get; set; } = [];

    /// <summary>Salt for percentage splits; the flag key when absent. Change it to reshuffle buckets.</summary>
    public string? Salt { get; set; }

    /// <summary>Variant name → value. Values must be of <see cref="Kind"/>.</summary>
    public Dictionary<string, JsonElement> Variants { get; set; } = [];

    /// <summary>The variant served when the flag is killed, off, or a prerequisite fails.</summary>
    public string OffVariant { get; set; } = "";

    /// <summary>Flags that must serve a given variant before this flag's targeting applies.</summary>
    public List<PrerequisiteDocument> Prerequisites { get; set; } = [];

    /// <summary>Individual targets: variant name → account ids that always get it. They win over rules.</summary>
    public Dictionary<string, List<string>> Targets { get; set; } = [];

    /// <summary>Rules, in order; the first whose conditions all match serves its variant or split.</summary>
    public List<RuleDocument> Rules { get; set; } = [];

    /// <summary>What is served when no target or rule matches.</summary>
    public ServeDocument DefaultRule { get; set; } = new();

    /// <summary>Ownership and lifetime information.</summary>
    public FlagMetadata? Metadata { get; set; }
}

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

/// <summary>A flag that must serve <see cref="Variant"/> for the dependent flag's targeting to apply.</summary>
public sealed class PrerequisiteDocument
{
    /// <summary>The prerequisite flag's key.</summary>
    public string Flag { get; set; } = "";

    /// <summary>The variant the prerequisite flag must serve.</summary>
    public string Variant { get; set; } = "";
}

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

/// <summary>What a default rule serves: exactly one of a variant and a split.</summary>
public sealed class ServeDocument
{
    /// <summary>Serve this variant.</summary>
    public string? Variant { get; set; }

    /// <summary>Split traffic by percentage.</summary>
    public SplitDocument? Split { get; set; }
}

/// <summary>
/// A sticky percentage split. Bucket = MurmurHash3 x86 32-bit (seed 0) of UTF-8 <c>salt + "/" + key</c>,
/// mod 10 000; variants take consecutive bucket ranges in list order, so raising the first variant's weight
/// keeps everyone who already had it.
/// </summary>
public sealed class SplitDocument
{
    /// <summary>The context attribute hashed for the bucket; <c>accountId</c> when absent.</summary>
    public string? BucketBy { get; set; }

    /// <summary>Overrides the flag's salt for this split.</summary>
    public string? Salt { get; set; }

    /// <summary>Variants and weights in percent (steps of 0.01), summing to 100.</summary>
    public List<WeightedVariant> Variants { get; set; } = [];
}

/// <summary>A variant's share of a split.</summary>
public sealed class WeightedVariant
{
    /// <summary>The variant name.</summary>
    public string Variant { get; set; } = "";

    /// <summary>Percent, 0 to 100, in steps of 0.01.</summary>
    public double Weight { get; set; }
}

/// <summary>
/// One condition: <c>attribute op values</c>, optionally negated. For example
/// <c>{ "attribute": "region", "op": "in", "values": ["eu", "uk"] }</c>.
/// </summary>
/// <remarks>
/// Operators: <c>in</c>, <c>notIn</c>, <c>equals</c>, <c>startsWith</c>, <c>endsWith</c>, <c>contains</c>, <c>regex</c>,
/// <c>lt</c>, <c>lte</c>, <c>gt</c>, <c>gte</c>, <c>between</c> (numeric, inclusive, two values),
/// <c>semverEq</c>, <c>semverLt</c>, <c>semverLte</c>, <c>semverGt</c>, <c>semverGte</c>, <c>semverRange</c>,
/// <c>cidr</c>, <c>before</c>, <c>after</c> (dates, ISO 8601), <c>inSegment</c> (values are segment keys).
/// A condition on an attribute the context does not have does not match (and so matches when negated).
/// </remarks>
public sealed class ConditionDocument
{
    /// <summary>
    /// Context attribute: <c>accountId</c>, <c>segment</c>, <c>region</c>, <c>game</c>, <c>app</c>, <c>ip</c>,
    /// <c>clientVersion</c>, or a custom attribute name. Ignored for <c>inSegment</c>.
    /// </summary>
    public string Attribute { get; set; } = "";

    /// <summary>The operator (see remarks on <see cref="ConditionDocument"/>).</summary>
    public string Op { get; set; } = "";

    /// <summary>Operands: strings or numbers, as the operator needs. Any one matching is a match.</summary>
    public List<JsonElement> Values { get; set; } = [];

    /// <summary>Inverts the result.</summary>
    public bool Negate { get; set; }
}

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

/// <summary>A segment rule: all conditions must match.</summary>
public sealed class SegmentRuleDocument
{
    /// <summary>All must match (AND).</summary>
    public List<ConditionDocument> Conditions { get; set; } = [];
}
