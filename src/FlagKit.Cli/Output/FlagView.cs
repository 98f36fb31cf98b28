using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Cli.Output;

/// <summary>How a flag document reads in one line: its state and what it serves.</summary>
internal static class FlagView
{
    /// <summary>Reads a stored flag document, or <c>null</c> when this CLI cannot read it (a newer schema, say).</summary>
    /// <param name="json">UTF-8 JSON.</param>
    /// <returns>The document.</returns>
    public static FlagDocument? TryRead(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, FlagJsonContext.Default.FlagDocument);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary><c>killed</c>, <c>off</c> or <c>on</c>.</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>The state.</returns>
    public static string State(FlagDocument? flag) => flag is null ? "?" : KillSources.IsKilled(flag) ? "killed" : flag.On ? "on" : "off";

    /// <summary>What holds the flag down, each source with who, why and when (empty when it is not killed).</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>The sources.</returns>
    public static List<KillJson> Kills(FlagDocument? flag) =>
        flag is null ? [] : KillSources.Effective(flag).Select(k => new KillJson(k.Source, k.By, k.Reason, k.At)).ToList();

    /// <summary>One line: <c>tag:payouts (INC-B, ops@example.com); flag (INC-A, ...)</c>, or <c>-</c>.</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>The text.</returns>
    public static string KilledBy(FlagDocument? flag) =>
        flag is null || !KillSources.IsKilled(flag) ? "-" : KillSources.Describe(KillSources.Effective(flag));

    /// <summary>What the flag serves to someone no target or rule matches: <c>on 25% / off 75%</c>.</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>The text.</returns>
    public static string Serves(FlagDocument? flag)
    {
        if (flag is null)
        {
            return "?";
        }

        if (KillSources.IsKilled(flag) || !flag.On)
        {
            return flag.OffVariant;
        }

        var serves = Serve(flag.DefaultRule.Variant, flag.DefaultRule.Split);
        var extras = new List<string>();
        if (flag.Rules.Count > 0)
        {
            extras.Add(flag.Rules.Count == 1 ? "1 rule" : $"{flag.Rules.Count} rules");
        }

        var targets = flag.Targets.Sum(t => t.Value.Count);
        if (targets > 0)
        {
            extras.Add(targets == 1 ? "1 target" : $"{targets} targets");
        }

        return extras.Count == 0 ? serves : $"{serves} (+{string.Join(", ", extras)})";
    }

    /// <summary>A variant, or a split as <c>on 25% / off 75%</c>.</summary>
    /// <param name="variant">The variant served, if any.</param>
    /// <param name="split">The split, if any.</param>
    /// <returns>The text.</returns>
    public static string Serve(string? variant, SplitDocument? split) =>
        split is not null
            ? string.Join(" / ", split.Variants.Select(v => $"{v.Variant} {Format.Percent(v.Weight)}"))
            : variant ?? "?";

    /// <summary>A rule's conditions, as <c>region in ["eu","uk"] and not segment in ["staff"]</c>.</summary>
    /// <param name="rule">The rule.</param>
    /// <returns>The text.</returns>
    public static string Conditions(RuleDocument rule) =>
        rule.Conditions.Count == 0
            ? "always"
            : string.Join(" and ", rule.Conditions.Select(c =>
                $"{(c.Negate ? "not " : "")}{(c.Op == "inSegment" ? "" : c.Attribute + " ")}{c.Op} [{string.Join(",", c.Values.Select(v => v.GetRawText()))}]"));
}
