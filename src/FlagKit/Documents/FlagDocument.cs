using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

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
