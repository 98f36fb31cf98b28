using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlagKit.Documents;
using FlagKit.Evaluation;

namespace FlagKit.Compilation;

/// <summary>Validates a condition document and compiles it, doing every parse (regex, CIDR, number, date, version) here.</summary>
internal static class ConditionCompiler
{
    private static readonly Dictionary<string, ConditionOperator> Operators = new(StringComparer.Ordinal)
    {
        ["in"] = ConditionOperator.In,
        ["notIn"] = ConditionOperator.NotIn,
        ["equals"] = ConditionOperator.EqualTo,
        ["startsWith"] = ConditionOperator.StartsWith,
        ["endsWith"] = ConditionOperator.EndsWith,
        ["contains"] = ConditionOperator.Contains,
        ["regex"] = ConditionOperator.Regex,
        ["lt"] = ConditionOperator.LessThan,
        ["lte"] = ConditionOperator.LessThanOrEqual,
        ["gt"] = ConditionOperator.GreaterThan,
        ["gte"] = ConditionOperator.GreaterThanOrEqual,
        ["between"] = ConditionOperator.Between,
        ["semverEq"] = ConditionOperator.SemverEqual,
        ["semverLt"] = ConditionOperator.SemverLessThan,
        ["semverLte"] = ConditionOperator.SemverLessThanOrEqual,
        ["semverGt"] = ConditionOperator.SemverGreaterThan,
        ["semverGte"] = ConditionOperator.SemverGreaterThanOrEqual,
        ["semverRange"] = ConditionOperator.SemverRange,
        ["cidr"] = ConditionOperator.Cidr,
        ["before"] = ConditionOperator.Before,
        ["after"] = ConditionOperator.After,
        ["inSegment"] = ConditionOperator.InSegment,
    };

    /// <summary>The operator names, in documentation order, for error messages.</summary>
    public static string KnownOperators { get; } = string.Join(", ", Operators.Keys);

    /// <summary>The segment keys an <c>inSegment</c> condition names (for dependency ordering before compilation).</summary>
    public static IEnumerable<(string Key, string Path)> SegmentReferences(ConditionDocument? condition, string path)
    {
        if (condition is null || condition.Op != "inSegment" || condition.Values is null)
        {
            yield break;
        }

        for (var i = 0; i < condition.Values.Count; i++)
        {
            if (condition.Values[i].ValueKind == JsonValueKind.String)
            {
                yield return (condition.Values[i].GetString()!, $"{path}.values[{i}]");
            }
        }
    }

    /// <summary>Compiles one condition, or adds every problem found to <paramref name="errors"/> and returns null.</summary>
    /// <param name="condition">The document.</param>
    /// <param name="path">Its JSON path.</param>
    /// <param name="segments">Resolves a segment key: the compiled segment, or null with the reason it cannot be used.</param>
    /// <param name="errors">Where problems go.</param>
    /// <param name="segmentReferences">Collects the keys of segments named.</param>
    public static Condition? Compile(
        ConditionDocument? condition,
        in JsonPath path,
        SegmentResolver segments,
        DocumentErrors errors,
        HashSet<string> segmentReferences)
    {
        if (condition is null)
        {
            errors.Add(path, "expected a condition object, found null");
            return null;
        }

        var before = errors.Count;
        if (string.IsNullOrEmpty(condition.Op) || !Operators.TryGetValue(condition.Op, out var op))
        {
            errors.Add(path.Property("op"), string.IsNullOrEmpty(condition.Op)
                ? $"the operator is missing; known operators: {KnownOperators}"
                : $"unknown operator '{condition.Op}'; known operators: {KnownOperators}");
            return null;
        }

        if (op != ConditionOperator.InSegment && string.IsNullOrEmpty(condition.Attribute))
        {
            errors.Add(path.Property("attribute"), $"operator '{condition.Op}' needs an attribute");
        }

        var values = condition.Values ?? [];
        var attribute = AttributeRef.Of(condition.Attribute ?? "");
        var negate = condition.Negate;
        var valuesPath = path.Property("values");
        Condition? compiled = null;
        switch (op)
        {
            case ConditionOperator.In or ConditionOperator.NotIn or ConditionOperator.EqualTo:
            {
                var texts = op == ConditionOperator.EqualTo
                    ? Exactly(values, 1, condition.Op, valuesPath, errors) ? TextsOrNumbers(values, valuesPath, errors) : null
                    : AtLeastOne(values, condition.Op, valuesPath, errors) ? TextsOrNumbers(values, valuesPath, errors) : null;
                if (texts is not null)
                {
                    compiled = new TextSetCondition(attribute, negate, texts, notIn: op == ConditionOperator.NotIn);
                }

                break;
            }

            case ConditionOperator.StartsWith or ConditionOperator.EndsWith or ConditionOperator.Contains:
            {
                var texts = AtLeastOne(values, condition.Op, valuesPath, errors) ? Texts(values, valuesPath, errors) : null;
                if (texts is not null)
                {
                    compiled = new TextMatchCondition(attribute, negate, op, texts);
                }

                break;
            }

            case ConditionOperator.Regex:
            {
                var texts = AtLeastOne(values, condition.Op, valuesPath, errors) ? Texts(values, valuesPath, errors) : null;
                if (texts is null)
                {
                    break;
                }

                var patterns = new Regex[texts.Length];
                for (var i = 0; i < texts.Length; i++)
                {
                    try
                    {
                        patterns[i] = RegexCondition.Compile(texts[i]);
                    }
                    catch (ArgumentException ex)
                    {
                        errors.Add(valuesPath.Item(i), $"'{texts[i]}' is not a valid regular expression: {ex.Message}");
                    }
                    catch (NotSupportedException ex)
                    {
                        errors.Add(valuesPath.Item(i), $"'{texts[i]}' uses {RegexCondition.UnsupportedConstruct(ex)}, which linear-time matching cannot run; regex conditions accept no backreferences, lookarounds, atomic groups, conditionals or \\G");
                    }
                }

                if (errors.Count == before)
                {
                    compiled = new RegexCondition(attribute, negate, patterns);
                }

                break;
            }

            case ConditionOperator.LessThan or ConditionOperator.LessThanOrEqual or ConditionOperator.GreaterThan or ConditionOperator.GreaterThanOrEqual:
                if (Exactly(values, 1, condition.Op, valuesPath, errors) && Number(values[0], valuesPath.Item(0), errors) is { } bound)
                {
                    compiled = new NumberCondition(attribute, negate, op, bound, bound);
                }

                break;

            case ConditionOperator.Between:
                if (Exactly(values, 2, condition.Op, valuesPath, errors)
                    && Number(values[0], valuesPath.Item(0), errors) is { } low
                    && Number(values[1], valuesPath.Item(1), errors) is { } high)
                {
                    if (low > high)
                    {
                        errors.Add(valuesPath, $"'between' needs [low, high] with low <= high, found [{low.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}]");
                    }
                    else
                    {
                        compiled = new NumberCondition(attribute, negate, op, low, high);
                    }
                }

                break;

            case ConditionOperator.Before or ConditionOperator.After:
                if (Exactly(values, 1, condition.Op, valuesPath, errors) && Texts(values, valuesPath, errors) is { } dates)
                {
                    if (DateTimeOffset.TryParse(dates[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
                    {
                        compiled = new DateCondition(attribute, negate, op == ConditionOperator.Before, date.UtcTicks);
                    }
                    else
                    {
                        errors.Add(valuesPath.Item(0), $"'{dates[0]}' is not an ISO 8601 date (e.g. 2026-12-01 or 2026-12-01T10:00:00Z)");
                    }
                }

                break;

            case ConditionOperator.Cidr:
            {
                var texts = AtLeastOne(values, condition.Op, valuesPath, errors) ? Texts(values, valuesPath, errors) : null;
                if (texts is null)
                {
                    break;
                }

                var blocks = new CidrBlock[texts.Length];
                for (var i = 0; i < texts.Length; i++)
                {
                    if (!CidrBlock.TryParse(texts[i], out blocks[i], out var error))
                    {
                        errors.Add(valuesPath.Item(i), error!);
                    }
                }

                if (errors.Count == before)
                {
                    compiled = new CidrCondition(attribute, negate, blocks);
                }

                break;
            }

            case ConditionOperator.SemverEqual or ConditionOperator.SemverLessThan or ConditionOperator.SemverLessThanOrEqual
                or ConditionOperator.SemverGreaterThan or ConditionOperator.SemverGreaterThanOrEqual or ConditionOperator.SemverRange:
                compiled = SemverConditions.Compile(attribute, negate, op, condition.Op, values, valuesPath, errors);
                break;

            case ConditionOperator.InSegment:
            {
                var keys = AtLeastOne(values, condition.Op, valuesPath, errors) ? Texts(values, valuesPath, errors) : null;
                if (keys is null)
                {
                    break;
                }

                // One segment (the usual case) needs no array.
                CompiledSegment? single = null;
                var resolved = keys.Length == 1 ? null : new CompiledSegment[keys.Length];
                for (var i = 0; i < keys.Length; i++)
                {
                    segmentReferences.Add(keys[i]);
                    var segment = segments(keys[i], out var problem);
                    if (segment is null)
                    {
                        errors.Add(valuesPath.Item(i), problem!);
                    }
                    else if (resolved is null)
                    {
                        single = segment;
                    }
                    else
                    {
                        resolved[i] = segment;
                    }
                }

                if (errors.Count == before)
                {
                    compiled = resolved is null ? new SegmentCondition(negate, single!) : new SegmentCondition(negate, resolved);
                }

                break;
            }
        }

        return errors.Count == before ? compiled : null;
    }

    internal static bool AtLeastOne(List<JsonElement> values, string op, in JsonPath path, DocumentErrors errors)
    {
        if (values.Count == 0)
        {
            errors.Add(path, $"operator '{op}' needs at least one value");
            return false;
        }

        return true;
    }

    internal static bool Exactly(List<JsonElement> values, int count, string op, in JsonPath path, DocumentErrors errors)
    {
        if (values.Count != count)
        {
            errors.Add(path, $"operator '{op}' needs exactly {count} value{(count == 1 ? "" : "s")}, found {values.Count}");
            return false;
        }

        return true;
    }

    internal static string[]? Texts(List<JsonElement> values, in JsonPath path, DocumentErrors errors)
    {
        var texts = new string[values.Count];
        var ok = true;
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i].ValueKind == JsonValueKind.String)
            {
                texts[i] = Share(values[i], values.Count);
            }
            else
            {
                errors.Add(path.Item(i), $"expected a string, found {Describe(values[i])}");
                ok = false;
            }
        }

        return ok ? texts : null;
    }

    // Into the thread's scratch list: the set the condition builds copies what it keeps.
    private static List<string>? TextsOrNumbers(List<JsonElement> values, in JsonPath path, DocumentErrors errors)
    {
        var texts = Scratch.Current.Texts;
        texts.Clear();
        var ok = true;
        for (var i = 0; i < values.Count; i++)
        {
            switch (values[i].ValueKind)
            {
                case JsonValueKind.String:
                    texts.Add(Share(values[i], values.Count));
                    break;
                case JsonValueKind.Number when values[i].TryGetDouble(out var number) && double.IsFinite(number):
                    // The same text a number attribute of the context has, so that 3 and 3.0 compare equal.
                    texts.Add(number.ToString("R", CultureInfo.InvariantCulture));
                    break;
                default:
                    errors.Add(path.Item(i), $"expected a string or a number, found {Describe(values[i])}");
                    ok = false;
                    break;
            }
        }

        return ok ? texts : null;
    }

    private static double? Number(JsonElement value, in JsonPath path, DocumentErrors errors)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number))
        {
            return number;
        }

        errors.Add(path, $"expected a number, found {Describe(value)}");
        return null;
    }

    // Short operand lists (regions, games, segment keys) repeat from flag to flag; long id lists do not, and would
    // only churn the pool.
    private static string Share(JsonElement value, int listLength) => listLength <= 16 ? Scratch.Current.Shared(value) : value.GetString()!;

    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };
}

/// <summary>Resolves a segment key named by an <c>inSegment</c> condition.</summary>
/// <param name="key">The segment key.</param>
/// <param name="problem">Why it cannot be used, when the result is null.</param>
/// <returns>The compiled segment, or null.</returns>
internal delegate CompiledSegment? SegmentResolver(string key, out string? problem);
