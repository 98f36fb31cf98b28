namespace FlagKit.Documents;

/// <summary>
/// One reason a flag is killed: the flag's own kill switch, a kill of one of its tags, or an incident, with who killed
/// it, why and when. A flag is killed while any source stands (see <see cref="FlagDocument.Kills"/>).
/// </summary>
public sealed class KillDocument
{
    /// <summary>
    /// What holds the flag down: <c>flag</c> (the flag's own kill), <c>tag:&lt;tag&gt;</c> (a kill of every flag with the
    /// tag) or <c>incident:&lt;id&gt;</c> (a kill made for an incident).
    /// </summary>
    public string Source { get; set; } = "";

    /// <summary>Who killed it (the server records the caller).</summary>
    public string? By { get; set; }

    /// <summary>Why (the write's comment).</summary>
    public string? Reason { get; set; }

    /// <summary>When (server clock).</summary>
    public DateTimeOffset? At { get; set; }
}
