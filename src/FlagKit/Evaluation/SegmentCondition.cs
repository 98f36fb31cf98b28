using System.Text.RegularExpressions;

namespace FlagKit.Evaluation;

/// <summary><c>inSegment</c>: the context is in any of the segments (resolved to compiled segments at compile time).</summary>
internal sealed class SegmentCondition : Condition
{
    private readonly CompiledSegment[] _segments;
    private readonly CompiledSegment? _single;

    public SegmentCondition(bool negate, CompiledSegment[] segments)
        : base(AttributeRef.AccountId, negate)
    {
        // One segment (the usual case) is kept alone, without the array.
        _single = segments.Length == 1 ? segments[0] : null;
        _segments = _single is null ? segments : [];
    }

    public SegmentCondition(bool negate, CompiledSegment segment)
        : base(AttributeRef.AccountId, negate)
    {
        _single = segment;
        _segments = [];
    }

    public override bool Matches(EvaluationContext? context)
    {
        // Most inSegment conditions name one segment: read it without the array (see TextSetCondition.Matches).
        if (_single is not null && context is not null)
        {
            return _single.Contains(context) != Negate;
        }

        var matched = false;
        if (context is not null)
        {
            foreach (var segment in _segments)
            {
                if (segment.Contains(context))
                {
                    matched = true;
                    break;
                }
            }
        }

        return matched != Negate;
    }

    protected override bool MatchesValue(AttributeValue value) => false;
}
