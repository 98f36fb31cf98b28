using System.Text.RegularExpressions;

namespace FlagKit.Evaluation;

/// <summary><c>startsWith</c>, <c>endsWith</c>, <c>contains</c>: ordinal, any operand.</summary>
internal sealed class TextMatchCondition : Condition
{
    private readonly string[] _values;
    private readonly ConditionOperator _op;

    public TextMatchCondition(AttributeRef attribute, bool negate, ConditionOperator op, string[] values)
        : base(attribute, negate)
    {
        _op = op;
        _values = values;
    }

    protected override bool MatchesValue(AttributeValue value)
    {
        var text = value.Text;
        foreach (var candidate in _values)
        {
            var hit = _op switch
            {
                ConditionOperator.StartsWith => text.StartsWith(candidate, StringComparison.Ordinal),
                ConditionOperator.EndsWith => text.EndsWith(candidate, StringComparison.Ordinal),
                _ => text.Contains(candidate, StringComparison.Ordinal),
            };
            if (hit)
            {
                return true;
            }
        }

        return false;
    }
}
