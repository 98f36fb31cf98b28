using System.Text.RegularExpressions;

namespace FlagKit.Evaluation;

/// <summary><c>lt</c>, <c>lte</c>, <c>gt</c>, <c>gte</c>, <c>between</c> (inclusive): numbers, or text that reads as a number.</summary>
internal sealed class NumberCondition : Condition
{
    private readonly ConditionOperator _op;
    private readonly double _operand;
    private readonly double _upper;

    public NumberCondition(AttributeRef attribute, bool negate, ConditionOperator op, double operand, double upper)
        : base(attribute, negate)
    {
        _op = op;
        _operand = operand;
        _upper = upper;
    }

    protected override bool MatchesValue(AttributeValue value)
    {
        if (!value.IsNumber)
        {
            return false;
        }

        var x = value.Number;
        return _op switch
        {
            ConditionOperator.LessThan => x < _operand,
            ConditionOperator.LessThanOrEqual => x <= _operand,
            ConditionOperator.GreaterThan => x > _operand,
            ConditionOperator.GreaterThanOrEqual => x >= _operand,
            _ => x >= _operand && x <= _upper,
        };
    }
}
