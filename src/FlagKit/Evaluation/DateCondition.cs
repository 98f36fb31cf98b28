using System.Text.RegularExpressions;

namespace FlagKit.Evaluation;

/// <summary><c>before</c>, <c>after</c>: the attribute's date strictly before / after the operand's.</summary>
internal sealed class DateCondition : Condition
{
    private readonly bool _before;
    private readonly long _utcTicks;

    public DateCondition(AttributeRef attribute, bool negate, bool before, long utcTicks)
        : base(attribute, negate)
    {
        _before = before;
        _utcTicks = utcTicks;
    }

    protected override bool MatchesValue(AttributeValue value) =>
        value.TryGetDate(out var ticks) && (_before ? ticks < _utcTicks : ticks > _utcTicks);
}
