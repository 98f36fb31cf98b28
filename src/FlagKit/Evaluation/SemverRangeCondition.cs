using System.Text.Json;
using FlagKit.Versioning;

namespace FlagKit.Evaluation;

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
