using System.Globalization;
using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Server.Writes;

/// <summary>
/// One line a human reads for a change, as history and the CLI show it: <c>on: false → true</c>,
/// <c>split default: on 5% → 25%</c>, <c>killed: false → true</c>, <c>targets on: +2 −1</c>.
/// </summary>
internal static class ChangeSummary
{
    /// <summary>Describes a created flag.</summary>
    /// <param name="flag">The new flag.</param>
    /// <returns>The line.</returns>
    public static string Created(FlagDocument flag) =>
        $"created {flag.Kind.ToString().ToLowerInvariant()} flag: on: {Bool(flag.On)}, default: {Serve(flag.DefaultRule)}";

    /// <summary>Describes a created segment.</summary>
    /// <param name="segment">The new segment.</param>
    /// <returns>The line.</returns>
    public static string Created(SegmentDocument segment) =>
        $"created segment: {segment.Included.Count} included, {segment.Excluded.Count} excluded, {segment.Rules.Count} rules";

    /// <summary>Describes the difference between two versions of a flag.</summary>
    /// <param name="before">The flag before.</param>
    /// <param name="after">The flag after.</param>
    /// <returns>The changes, separated by <c>; </c>.</returns>
    public static string Updated(FlagDocument before, FlagDocument after)
    {
        var parts = new List<string>();
        if (before.Killed != after.Killed)
        {
            parts.Add($"killed: {Bool(before.Killed)} → {Bool(after.Killed)}");
        }

        Kills(before, after, parts);

        if (before.On != after.On)
        {
            parts.Add($"on: {Bool(before.On)} → {Bool(after.On)}");
        }

        if (before.Kind != after.Kind)
        {
            parts.Add($"kind: {before.Kind.ToString().ToLowerInvariant()} → {after.Kind.ToString().ToLowerInvariant()}");
        }

        Serve("default", before.DefaultRule.Variant, before.DefaultRule.Split, after.DefaultRule.Variant, after.DefaultRule.Split, parts);
        Rules(before.Rules, after.Rules, parts);
        Targets(before.Targets, after.Targets, parts);

        var variants = VariantChanges(before.Variants, after.Variants);
        if (variants.Length > 0)
        {
            parts.Add($"variants: {variants}");
        }

        if (before.OffVariant != after.OffVariant)
        {
            parts.Add($"off variant: {before.OffVariant} → {after.OffVariant}");
        }

        if (!before.Tags.SequenceEqual(after.Tags))
        {
            parts.Add($"tags: [{string.Join(", ", before.Tags)}] → [{string.Join(", ", after.Tags)}]");
        }

        if (!Same(before.Prerequisites.Select(p => (p.Flag, p.Variant)), after.Prerequisites.Select(p => (p.Flag, p.Variant))))
        {
            parts.Add($"prerequisites: {before.Prerequisites.Count} → {after.Prerequisites.Count}");
        }

        if (before.Salt != after.Salt)
        {
            parts.Add("salt changed");
        }

        if (before.Description != after.Description)
        {
            parts.Add("description changed");
        }

        if (before.Metadata?.Owner != after.Metadata?.Owner || before.Metadata?.Lifetime != after.Metadata?.Lifetime || before.Metadata?.Expires != after.Metadata?.Expires)
        {
            parts.Add("metadata changed");
        }

        return parts.Count == 0 ? "updated (formatting only)" : string.Join("; ", parts);
    }

    /// <summary>Describes the difference between two versions of a segment.</summary>
    /// <param name="before">The segment before.</param>
    /// <param name="after">The segment after.</param>
    /// <returns>The changes.</returns>
    public static string Updated(SegmentDocument before, SegmentDocument after)
    {
        var parts = new List<string>();
        AddRemove("included", before.Included, after.Included, parts);
        AddRemove("excluded", before.Excluded, after.Excluded, parts);
        if (Json(before.Rules) != Json(after.Rules))
        {
            parts.Add(before.Rules.Count == after.Rules.Count ? "rules changed" : $"rules: {before.Rules.Count} → {after.Rules.Count}");
        }

        if (before.Description != after.Description)
        {
            parts.Add("description changed");
        }

        return parts.Count == 0 ? "updated (formatting only)" : string.Join("; ", parts);
    }

    private static void Serve(string name, string? beforeVariant, SplitDocument? beforeSplit, string? afterVariant, SplitDocument? afterSplit, List<string> parts)
    {
        if (beforeSplit is not null && afterSplit is not null)
        {
            var weights = SplitChanges(beforeSplit, afterSplit);
            if (weights.Length > 0)
            {
                parts.Add($"split {name}: {weights}");
            }
            else if (beforeSplit.BucketBy != afterSplit.BucketBy || beforeSplit.Salt != afterSplit.Salt)
            {
                parts.Add($"split {name}: bucketing changed");
            }
        }
        else if (beforeVariant != afterVariant || (beforeSplit is null) != (afterSplit is null))
        {
            parts.Add($"{name}: {Serve(beforeVariant, beforeSplit)} → {Serve(afterVariant, afterSplit)}");
        }
    }

    // "kills: +tag:payouts" / "kills: −tag:payouts; still killed by flag (INC-A, ops@example.com)".
    private static void Kills(FlagDocument before, FlagDocument after, List<string> parts)
    {
        var old = KillSources.Effective(before).Select(k => k.Source).ToHashSet(StringComparer.Ordinal);
        var now = KillSources.Effective(after);
        var added = now.Where(k => !old.Contains(k.Source)).Select(k => "+" + k.Source);
        var removed = old.Except(now.Select(k => k.Source), StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(s => "−" + s);
        var changes = added.Concat(removed).ToList();
        if (changes.Count == 0 || before.Killed != after.Killed)
        {
            // The first kill or the last lift: "killed: false → true" says it; the sources are in the document.
            return;
        }

        parts.Add($"kills: {string.Join(" ", changes)}");
        if (now.Count > 0 && changes.Any(c => c.StartsWith('−')))
        {
            parts.Add($"still killed by {KillSources.Describe(now)}");
        }
    }

    private static string SplitChanges(SplitDocument before, SplitDocument after)
    {
        var old = before.Variants.ToDictionary(v => v.Variant, v => v.Weight, StringComparer.Ordinal);
        var now = after.Variants.ToDictionary(v => v.Variant, v => v.Weight, StringComparer.Ordinal);
        var changed = after.Variants
            .Where(v => !old.TryGetValue(v.Variant, out var w) || w != v.Weight)
            .Select(v => $"{v.Variant} {Percent(old.GetValueOrDefault(v.Variant))} → {Percent(v.Weight)}")
            .Concat(before.Variants.Where(v => !now.ContainsKey(v.Variant)).Select(v => $"{v.Variant} {Percent(v.Weight)} → 0%"))
            .ToList();

        // Two variants that trade weight: the first one says it all ("on 5% → 25%").
        if (changed.Count == 2 && after.Variants.Count == 2 && before.Variants.Count == 2)
        {
            changed.RemoveAt(1);
        }

        return string.Join(", ", changed);
    }

    private static void Rules(List<RuleDocument> before, List<RuleDocument> after, List<string> parts)
    {
        if (Json(before) == Json(after))
        {
            return;
        }

        var sameIds = before.Count == after.Count && before.Select(r => r.Id).SequenceEqual(after.Select(r => r.Id));
        if (!sameIds)
        {
            parts.Add($"rules: {before.Count} → {after.Count}");
            return;
        }

        for (var i = 0; i < after.Count; i++)
        {
            var b = before[i];
            var a = after[i];
            var name = a.Id is null ? $"rule {i + 1}" : $"rule '{a.Id}'";
            if (Json(b.Conditions) != Json(a.Conditions) || b.Description != a.Description)
            {
                parts.Add($"{name}: conditions changed");
            }

            Serve(name, b.Variant, b.Split, a.Variant, a.Split, parts);
        }
    }

    private static void Targets(Dictionary<string, List<string>> before, Dictionary<string, List<string>> after, List<string> parts)
    {
        foreach (var variant in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            AddRemove($"targets {variant}", before.GetValueOrDefault(variant) ?? [], after.GetValueOrDefault(variant) ?? [], parts);
        }
    }

    private static void AddRemove(string name, List<string> before, List<string> after, List<string> parts)
    {
        var added = after.Except(before, StringComparer.Ordinal).Count();
        var removed = before.Except(after, StringComparer.Ordinal).Count();
        if (added > 0 || removed > 0)
        {
            parts.Add($"{name}: +{added} −{removed}");
        }
    }

    private static string VariantChanges(Dictionary<string, JsonElement> before, Dictionary<string, JsonElement> after)
    {
        var changes = new List<string>();
        changes.AddRange(after.Keys.Except(before.Keys).Select(k => "+" + k));
        changes.AddRange(before.Keys.Except(after.Keys).Select(k => "−" + k));
        changes.AddRange(after.Where(p => before.TryGetValue(p.Key, out var v) && v.GetRawText() != p.Value.GetRawText())
            .Select(p => $"{p.Key} {before[p.Key].GetRawText()} → {p.Value.GetRawText()}"));
        return string.Join(", ", changes);
    }

    private static string Serve(ServeDocument serve) => Serve(serve.Variant, serve.Split);

    private static string Serve(string? variant, SplitDocument? split) =>
        split is not null
            ? "split " + string.Join(", ", split.Variants.Select(v => $"{v.Variant} {Percent(v.Weight)}"))
            : variant ?? "(none)";

    private static string Percent(double weight) => weight.ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Bool(bool value) => value ? "true" : "false";

    private static bool Same<T>(IEnumerable<T> a, IEnumerable<T> b) => a.SequenceEqual(b);

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, ServerJsonContext.Default.GetTypeInfo(typeof(T))!);
}
