using System.Globalization;
using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Server.WebConsole;

/// <summary>A flag in words: its state, what it serves, its rules as sentences (all plain text; pages escape it).</summary>
internal static class FlagText
{
    /// <summary><c>killed</c>, <c>on</c> or <c>off</c>.</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>The state.</returns>
    public static string State(FlagDocument flag) => KillSources.IsKilled(flag) ? "killed" : flag.On ? "on" : "off";

    /// <summary>The share of accounts the default rule serves something other than the off variant, 0..100.</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>The percentage.</returns>
    public static double RolloutPercent(FlagDocument flag) =>
        flag.DefaultRule.Split is { } split
            ? split.Variants.Where(v => v.Variant != flag.OffVariant).Sum(v => v.Weight)
            : flag.DefaultRule.Variant is { } v && v != flag.OffVariant ? 100 : 0;

    /// <summary>A percentage as <c>25 %</c> or <c>12.5 %</c>.</summary>
    /// <param name="percent">The value.</param>
    /// <returns>The text.</returns>
    public static string Percent(double percent) => percent.ToString("0.##", CultureInfo.InvariantCulture) + " %";

    /// <summary>What a rule or the default serves: <c>on</c>, or <c>on 25 % / off 75 %</c>.</summary>
    /// <param name="variant">The variant served, if any.</param>
    /// <param name="split">The split, if any.</param>
    /// <returns>The text.</returns>
    public static string Serve(string? variant, SplitDocument? split) =>
        split is not null
            ? string.Join(" / ", split.Variants.Select(v => $"{v.Variant} {Percent(v.Weight)}"))
                + (string.IsNullOrEmpty(split.BucketBy) ? "" : $" (bucketed by {split.BucketBy})")
            : variant ?? "(nothing)";

    /// <summary>One condition: <c>country is one of "de", "fr"</c>, <c>in segment beta-testers</c>.</summary>
    /// <param name="condition">The condition.</param>
    /// <returns>The text.</returns>
    public static string Condition(ConditionDocument condition)
    {
        var values = string.Join(", ", condition.Values.Select(Value));
        var text = condition.Op == "inSegment"
            ? $"in segment {string.Join(", ", condition.Values.Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()))}"
            : $"{condition.Attribute} {OpWords(condition.Op)} {values}";
        return condition.Negate ? $"not ({text})" : text;
    }

    /// <summary>All conditions of a rule joined by "and", or "everyone".</summary>
    /// <param name="conditions">The conditions.</param>
    /// <returns>The text.</returns>
    public static string Conditions(IReadOnlyList<ConditionDocument> conditions) =>
        conditions.Count == 0 ? "everyone" : string.Join(" and ", conditions.Select(Condition));

    /// <summary>What holds a killed flag down: <c>flag (by ops, "INC-7")</c>; empty when not killed.</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>The text.</returns>
    public static string KilledBy(FlagDocument flag) =>
        KillSources.IsKilled(flag) ? KillSources.Describe(KillSources.Effective(flag)) : "";

    private static string Value(JsonElement value) => value.GetRawText();

    private static string OpWords(string op) => op switch
    {
        "in" => "is one of",
        "notIn" => "is none of",
        "equals" => "=",
        "lt" => "<",
        "lte" => "≤",
        "gt" => ">",
        "gte" => "≥",
        "startsWith" => "starts with",
        "endsWith" => "ends with",
        "regex" => "matches",
        "cidr" => "is in network",
        "semverEq" => "is version",
        "semverLt" => "is a version before",
        "semverLte" => "is a version up to",
        "semverGt" => "is a version after",
        "semverGte" => "is a version from",
        "semverRange" => "is a version in",
        _ => op,
    };
}
