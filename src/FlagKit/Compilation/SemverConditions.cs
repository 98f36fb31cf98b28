using System.Text.Json;
using FlagKit.Evaluation;
using FlagKit.Versioning;

namespace FlagKit.Compilation;

/// <summary>Compiles the semantic-version operators (<c>semverEq</c> ... <c>semverRange</c>), parsing operands once.</summary>
internal static class SemverConditions
{
    public static Condition? Compile(AttributeRef attribute, bool negate, ConditionOperator op, string opName, List<JsonElement> values, in JsonPath path, DocumentErrors errors)
    {
        if (op == ConditionOperator.SemverRange)
        {
            if (!ConditionCompiler.AtLeastOne(values, opName, path, errors) || ConditionCompiler.Texts(values, path, errors) is not { } texts)
            {
                return null;
            }

            var ranges = new VersionRange[texts.Length];
            var ok = true;
            for (var i = 0; i < texts.Length; i++)
            {
                if (VersionRange.TryParse(texts[i], out var range, out var error))
                {
                    ranges[i] = range;
                }
                else
                {
                    errors.Add(path.Item(i), error);
                    ok = false;
                }
            }

            return ok ? new SemverRangeCondition(attribute, negate, ranges) : null;
        }

        if (!ConditionCompiler.Exactly(values, 1, opName, path, errors) || ConditionCompiler.Texts(values, path, errors) is not { } versions)
        {
            return null;
        }

        if (!SemanticVersion.TryParse(versions[0], out var version, out var problem))
        {
            errors.Add(path.Item(0), problem);
            return null;
        }

        return new SemverCondition(attribute, negate, op, version);
    }
}

/// <summary><c>semverEq</c>, <c>semverLt</c>, <c>semverLte</c>, <c>semverGt</c>, <c>semverGte</c>: SemVer 2.0 precedence (build metadata ignored).</summary>
internal sealed class SemverCondition : Condition
{
    private readonly ConditionOperator _op;
    private readonly SemanticVersion _operand;

    public SemverCondition(AttributeRef attribute, bool negate, ConditionOperator op, SemanticVersion operand)
        : base(attribute, negate)
    {
        _op = op;
        _operand = operand;
    }

    protected override bool MatchesValue(AttributeValue value)
    {
        if (!value.TryGetVersion(out var version))
        {
            return false;
        }

        var order = version.CompareTo(_operand);
        return _op switch
        {
            ConditionOperator.SemverEqual => order == 0,
            ConditionOperator.SemverLessThan => order < 0,
            ConditionOperator.SemverLessThanOrEqual => order <= 0,
            ConditionOperator.SemverGreaterThan => order > 0,
            _ => order >= 0,
        };
    }
}

/// <summary><c>semverRange</c>: the version satisfies any of the ranges (<c>&gt;=2.3 &lt;4.0</c>, <c>^3.1</c>, <c>~1.4</c>).</summary>
internal sealed class SemverRangeCondition : Condition
{
    private readonly VersionRange[] _ranges;

    public SemverRangeCondition(AttributeRef attribute, bool negate, VersionRange[] ranges)
        : base(attribute, negate)
    {
        _ranges = ranges;
    }

    protected override bool MatchesValue(AttributeValue value)
    {
        if (!value.TryGetVersion(out var version))
        {
            return false;
        }

        foreach (var range in _ranges)
        {
            if (range.IsSatisfiedBy(version))
            {
                return true;
            }
        }

        return false;
    }
}
