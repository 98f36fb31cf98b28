using System.Globalization;
using System.Text;
using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Evaluation;

namespace FlagKit.Compilation;

/// <summary>
/// Validates one flag or segment document and compiles it. Checks everything that can be checked from the document
/// alone and the segments it names; cross-flag checks (prerequisites exist, no cycles) are the assembler's.
/// </summary>
internal static class FlagCompiler
{
    /// <summary>Compiles a flag; returns null after adding every problem to <paramref name="errors"/>.</summary>
    public static CompiledFlag? CompileFlag(FlagDocument flag, in JsonPath path, SegmentResolver segments, DocumentErrors errors)
    {
        var before = errors.Count;
        if (!KeySyntax.IsValid(flag.Key))
        {
            errors.Add(path.Property("key"), KeySyntax.Problem(flag.Key, "flag"));
        }

        if (!Enum.IsDefined(flag.Kind))
        {
            errors.Add(path.Property("kind"), $"unknown kind '{flag.Kind}'; known kinds: bool, string, number, json, version");
        }

        var scratch = Scratch.Take();
        var variantIndex = scratch.VariantIndex;
        var variants = scratch.Variants;
        if (flag.Variants is null || flag.Variants.Count == 0)
        {
            errors.Add(path.Property("variants"), "a flag needs at least one variant");
        }
        else
        {
            var variantsPath = path.Property("variants");
            foreach (var (name, value) in flag.Variants)
            {
                var variantPath = variantsPath.Property(name);
                if (string.IsNullOrEmpty(name) || name.Length > KeySyntax.MaxLength)
                {
                    errors.Add(path.Property("variants"), $"a variant name must have 1 to {KeySyntax.MaxLength} characters");
                    continue;
                }

                if (KindProblem(flag.Kind, value) is { } problem)
                {
                    errors.Add(variantPath, problem);
                    continue;
                }

                variantIndex[name] = variants.Count;
                variants.Add(CompiledVariant.Of(name, value));
            }
        }

        var offVariant = Variant(flag.OffVariant, path.Property("offVariant"), "offVariant", flag.Variants, variantIndex, errors);

        if (flag.Tags is not null)
        {
            for (var i = 0; i < flag.Tags.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(flag.Tags[i]))
                {
                    errors.Add(path.Item("tags", i), "a tag must not be empty");
                }
            }
        }

        KillSources.Validate(flag.Kills, path.Property("kills"), errors);

        var salt = flag.Salt ?? flag.Key ?? "";
        var prerequisites = scratch.Prerequisites;
        var prerequisiteList = flag.Prerequisites ?? [];
        for (var i = 0; i < prerequisiteList.Count; i++)
        {
            var prerequisite = prerequisiteList[i];
            var prerequisitePath = path.Item("prerequisites", i);
            if (prerequisite is null)
            {
                errors.Add(prerequisitePath, "expected a prerequisite object, found null");
                continue;
            }

            if (string.IsNullOrEmpty(prerequisite.Flag))
            {
                errors.Add(prerequisitePath.Property("flag"), "the prerequisite flag key is missing");
            }
            else if (string.Equals(prerequisite.Flag, flag.Key, StringComparison.Ordinal))
            {
                errors.Add(prerequisitePath.Property("flag"), "a flag cannot be its own prerequisite");
            }

            if (string.IsNullOrEmpty(prerequisite.Variant))
            {
                errors.Add(prerequisitePath.Property("variant"), "the required variant is missing");
            }

            prerequisites.Add(new CompiledPrerequisite(prerequisite.Flag ?? "", prerequisite.Variant ?? ""));
        }

        Dictionary<string, int>? targets = null;
        if (flag.Targets is { Count: > 0 })
        {
            targets = new Dictionary<string, int>(StringComparer.Ordinal);
            var targetVariant = new Dictionary<string, string>(StringComparer.Ordinal);
            var targetsPath = path.Property("targets");
            foreach (var (variant, accounts) in flag.Targets)
            {
                var targetPath = targetsPath.Property(variant);
                var index = Variant(variant, targetPath, "target", flag.Variants, variantIndex, errors);
                var list = accounts ?? [];
                for (var i = 0; i < list.Count; i++)
                {
                    var account = list[i];
                    if (string.IsNullOrEmpty(account))
                    {
                        errors.Add(targetPath.Item(i), "an account id must not be empty");
                    }
                    else if (targetVariant.TryGetValue(account, out var other))
                    {
                        errors.Add(targetPath.Item(i), string.Equals(other, variant, StringComparison.Ordinal)
                            ? $"account '{account}' is listed twice"
                            : $"account '{account}' is already a target of variant '{other}'");
                    }
                    else
                    {
                        targetVariant[account] = variant;
                        targets[account] = index;
                    }
                }
            }
        }

        var segmentReferences = scratch.SegmentReferences;
        var rules = scratch.Rules;
        var ruleIds = scratch.RuleIds;
        var ruleList = flag.Rules ?? [];
        for (var i = 0; i < ruleList.Count; i++)
        {
            var rule = ruleList[i];
            var rulePath = path.Item("rules", i);
            if (rule is null)
            {
                errors.Add(rulePath, "expected a rule object, found null");
                continue;
            }

            var id = string.IsNullOrEmpty(rule.Id) ? RuleIndexId(i) : rule.Id;
            if (!ruleIds.Add(id))
            {
                errors.Add(rulePath.Property("id"), $"duplicate rule id '{id}'");
            }

            var conditions = scratch.Conditions;
            var compiled = Conditions(rule.Conditions, rulePath.Property("conditions"), segments, errors, segmentReferences, conditions);
            var serve = Serve(rule.Variant, rule.Split, rulePath, "rule", salt, flag.Variants, variantIndex, errors);
            if (compiled && serve is { } s)
            {
                rules.Add(new CompiledRule(id, conditions, s));
            }
        }

        var defaultServe = flag.DefaultRule is null
            ? Missing(path.Property("defaultRule"), "the default rule is missing", errors)
            : Serve(flag.DefaultRule.Variant, flag.DefaultRule.Split, path.Property("defaultRule"), "default rule", salt, flag.Variants, variantIndex, errors);

        if (errors.Count != before)
        {
            return null;
        }

        return new CompiledFlag(
            flag, scratch.SharedVariants(variants), offVariant, [.. prerequisites], targets is null ? null : new TextMap<int>(targets), [.. rules], defaultServe!.Value,
            scratch.SharedReferences(segmentReferences));
    }

    // The id of a rule without one is its index: the first few as shared strings rather than one per rule.
    private static readonly string[] SmallIndexes = [.. Enumerable.Range(0, 32).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private static string RuleIndexId(int index) =>
        index < SmallIndexes.Length ? SmallIndexes[index] : index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Compiles a segment; returns null after adding every problem to <paramref name="errors"/>.</summary>
    public static CompiledSegment? CompileSegment(SegmentDocument segment, in JsonPath path, SegmentResolver segments, DocumentErrors errors)
    {
        var before = errors.Count;
        if (!KeySyntax.IsValid(segment.Key))
        {
            errors.Add(path.Property("key"), KeySyntax.Problem(segment.Key, "segment"));
        }

        var included = Accounts(segment.Included, path.Property("included"), errors);
        var excluded = Accounts(segment.Excluded, path.Property("excluded"), errors);
        var references = new HashSet<string>(StringComparer.Ordinal);
        var rules = new List<Condition[]>();
        var ruleList = segment.Rules ?? [];
        for (var i = 0; i < ruleList.Count; i++)
        {
            if (ruleList[i] is null)
            {
                errors.Add(path.Item("rules", i), "expected a rule object, found null");
                continue;
            }

            var rulePath = path.Item("rules", i);
            if (Conditions(ruleList[i].Conditions, rulePath.Property("conditions"), segments, errors, references) is { } conditions)
            {
                rules.Add(conditions);
            }
        }

        return errors.Count == before ? new CompiledSegment(segment, included, excluded, [.. rules], [.. references]) : null;
    }

    /// <summary>Whether a JSON value may be a variant of the kind; null when fine, else the problem.</summary>
    public static string? KindProblem(FlagKind kind, JsonElement value)
    {
        var ok = kind switch
        {
            FlagKind.Bool => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            FlagKind.String => value.ValueKind == JsonValueKind.String,
            FlagKind.Number => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d),
            FlagKind.Version => value.ValueKind == JsonValueKind.String && VersionVariants.IsValid(value.GetString()),
            _ => value.ValueKind != JsonValueKind.Undefined && NumbersFinite(value),
        };
        if (ok)
        {
            return null;
        }

        var expected = kind switch
        {
            FlagKind.Bool => "a boolean",
            FlagKind.String => "a string",
            FlagKind.Number => "a finite number",
            FlagKind.Version => "a semantic version string (e.g. \"2.3.0\")",
            _ => "a JSON value whose numbers are finite doubles (1e400 overflows)",
        };
        return $"a {kind.ToString().ToLowerInvariant()} flag's variant must be {expected}, found {ConditionCompiler.Describe(value)}";
    }

    // Every number in a JSON variant must be readable as a double: an overflow (1e400) would throw in the caller's GetDouble.
    private static bool NumbersFinite(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.TryGetDouble(out var d) && double.IsFinite(d),
        JsonValueKind.Object => value.EnumerateObject().All(p => NumbersFinite(p.Value)),
        JsonValueKind.Array => value.EnumerateArray().All(NumbersFinite),
        _ => true,
    };

    private static Condition[]? Conditions(List<ConditionDocument>? documents, in JsonPath path, SegmentResolver segments, DocumentErrors errors, HashSet<string> references)
    {
        var conditions = new List<Condition>(documents?.Count ?? 0);
        return Conditions(documents, path, segments, errors, references, conditions) ? [.. conditions] : null;
    }

    // Into `conditions` (cleared first): a flag's rules use the thread's scratch list, as the rule keeps a single
    // condition without an array.
    private static bool Conditions(
        List<ConditionDocument>? documents, in JsonPath path, SegmentResolver segments, DocumentErrors errors, HashSet<string> references, List<Condition> conditions)
    {
        conditions.Clear();
        var list = documents ?? [];
        var ok = true;
        for (var i = 0; i < list.Count; i++)
        {
            var condition = ConditionCompiler.Compile(list[i], path.Item(i), segments, errors, references);
            if (condition is null)
            {
                ok = false;
            }
            else
            {
                conditions.Add(condition);
            }
        }

        return ok;
    }

    private static TextSet Accounts(List<string>? accounts, in JsonPath path, DocumentErrors errors)
    {
        if (accounts is null || accounts.Count == 0)
        {
            return default;
        }

        var set = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < accounts.Count; i++)
        {
            if (string.IsNullOrEmpty(accounts[i]))
            {
                errors.Add(path.Item(i), "an account id must not be empty");
            }
            else if (!set.Add(accounts[i]))
            {
                errors.Add(path.Item(i), $"account '{accounts[i]}' is listed twice");
            }
        }

        return new TextSet([.. set]);
    }

    private static int Variant(string? name, in JsonPath path, string what, Dictionary<string, JsonElement>? declared, Dictionary<string, int> index, DocumentErrors errors)
    {
        if (string.IsNullOrEmpty(name))
        {
            errors.Add(path, $"the {what} variant is missing");
            return -1;
        }

        if (index.TryGetValue(name, out var i))
        {
            return i;
        }

        // A declared variant with a bad value already has its own error; do not report it twice.
        if (declared is null || !declared.ContainsKey(name))
        {
            var known = declared is null || declared.Count == 0 ? "none" : string.Join(", ", declared.Keys.Select(k => $"'{k}'"));
            errors.Add(path, $"unknown variant '{name}' in {what}; the flag's variants are {known}");
        }

        return -1;
    }

    private static CompiledServe? Missing(in JsonPath path, string message, DocumentErrors errors)
    {
        errors.Add(path, message);
        return null;
    }

    private static CompiledServe? Serve(
        string? variant,
        SplitDocument? split,
        in JsonPath path,
        string what,
        string flagSalt,
        Dictionary<string, JsonElement>? declared,
        Dictionary<string, int> index,
        DocumentErrors errors)
    {
        if ((variant is null) == (split is null))
        {
            errors.Add(path, $"a {what} serves exactly one of 'variant' and 'split'");
            return null;
        }

        if (variant is not null)
        {
            var i = Variant(variant, path.Property("variant"), what, declared, index, errors);
            return i < 0 ? null : new CompiledServe(i, null);
        }

        var before = errors.Count;
        var splitPath = path.Property("split");
        var entries = split!.Variants ?? [];
        if (entries.Count == 0)
        {
            errors.Add(splitPath.Property("variants"), "a split needs at least one variant");
            return null;
        }

        var scratch = Scratch.Current;
        var bounds = scratch.SplitBounds;
        var variants = scratch.SplitIndexes;
        var seen = scratch.SplitVariants;
        bounds.Clear();
        variants.Clear();
        seen.Clear();
        var total = 0;
        var totalPercent = 0.0;
        for (var i = 0; i < entries.Count; i++)
        {
            var entryPath = splitPath.Item("variants", i);
            var entry = entries[i];
            if (entry is null)
            {
                errors.Add(entryPath, "expected a weighted variant, found null");
                continue;
            }

            variants.Add(Variant(entry.Variant, entryPath.Property("variant"), "split", declared, index, errors));
            if (!string.IsNullOrEmpty(entry.Variant) && !seen.Add(entry.Variant))
            {
                errors.Add(entryPath.Property("variant"), $"variant '{entry.Variant}' appears twice in the split");
            }

            var basisPoints = Math.Round(entry.Weight * 100);
            if (!double.IsFinite(entry.Weight) || entry.Weight < 0 || entry.Weight > 100)
            {
                errors.Add(entryPath.Property("weight"), $"a weight is a percentage from 0 to 100, found {entry.Weight.ToString(CultureInfo.InvariantCulture)}");
            }
            else if (Math.Abs((entry.Weight * 100) - basisPoints) > 1e-6)
            {
                errors.Add(entryPath.Property("weight"), $"a weight must be in steps of 0.01 %, found {entry.Weight.ToString(CultureInfo.InvariantCulture)}");
            }

            totalPercent += entry.Weight;
            total += (int)Math.Clamp(basisPoints, 0, MurmurHash3.BucketCount);
            bounds.Add(total);
        }

        if (errors.Count == before && total != MurmurHash3.BucketCount)
        {
            errors.Add(splitPath.Property("variants"), $"split weights must sum to 100, found {Math.Round(totalPercent, 2).ToString(CultureInfo.InvariantCulture)}");
        }

        if (split.BucketBy is { Length: 0 })
        {
            errors.Add(splitPath.Property("bucketBy"), "bucketBy must name a context attribute");
        }

        if (errors.Count != before)
        {
            return null;
        }

        var salt = split.Salt ?? flagSalt;
        var bucketBy = split.BucketBy is null ? AttributeRef.AccountId : AttributeRef.Of(split.BucketBy);
        return new CompiledServe(-1, new CompiledSplit(bucketBy, salt, scratch.SharedInts(bounds), scratch.SharedInts(variants)));
    }
}
