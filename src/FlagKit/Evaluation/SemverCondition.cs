using System.Text.Json;
using FlagKit.Versioning;

namespace FlagKit.Evaluation;

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
