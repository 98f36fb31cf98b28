using System.Text.RegularExpressions;

namespace FlagKit.Evaluation;

/// <summary>The operators a condition may use, resolved from the document's <c>op</c> once, at compile time.</summary>
internal enum ConditionOperator
{
    In,
    NotIn,
    EqualTo,
    StartsWith,
    EndsWith,
    Contains,
    Regex,
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
    Between,
    SemverEqual,
    SemverLessThan,
    SemverLessThanOrEqual,
    SemverGreaterThan,
    SemverGreaterThanOrEqual,
    SemverRange,
    Cidr,
    Before,
    After,
    InSegment,
}

/// <summary>
/// A compiled condition: everything costly (regexes, CIDRs, numbers, dates, versions, segment references) was done
/// when it was built; matching reads the context and compares, without allocating.
/// </summary>
/// <remarks>
/// A context that lacks the attribute (or whose value cannot be read as the operator needs, e.g. text for a
/// numeric comparison) does not match; <see cref="Negate"/> then makes it match. Immutable and thread safe.
/// </remarks>
internal abstract class Condition
{
    protected Condition(AttributeRef attribute, bool negate)
    {
        Attribute = attribute;
        Negate = negate;
    }

    public AttributeRef Attribute { get; }

    public bool Negate { get; }

    public virtual bool Matches(EvaluationContext? context)
    {
        var value = context?.Get(Attribute);
        var matched = value is not null && MatchesValue(value);
        return matched != Negate;
    }

    protected abstract bool MatchesValue(AttributeValue value);
}

/// <summary><c>in</c>, <c>notIn</c>, <c>equals</c>: ordinal text equality with any operand.</summary>
internal sealed class TextSetCondition : Condition
{
    // Matched by the hash the context computed once: a list of 3 regions or 100 000 uids costs one lookup, and a
    // short list is held in this object's own fields.
    private readonly TextSet _values;
    private readonly bool _notIn;

    public TextSetCondition(AttributeRef attribute, bool negate, IReadOnlyList<string> values, bool notIn)
        : base(attribute, negate)
    {
        _values = new TextSet(values);
        _notIn = notIn;
    }

    // The template of Condition.Matches, written out: the commonest condition answers in one virtual call. Kept on
    // purpose: without it and SegmentCondition's one-segment field, the targeted benchmark's fastest iteration went
    // from 55.8 to 63.3 ns (--job medium, same VM, same hour).
    public override bool Matches(EvaluationContext? context) =>
        (context?.Get(Attribute) is { } value && MatchesValue(value)) != Negate;

    protected override bool MatchesValue(AttributeValue value) => _values.Contains(value) != _notIn;
}

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

/// <summary>
/// <c>regex</c>: any of the patterns, compiled once for linear-time matching (<see cref="RegexOptions.NonBacktracking"/>):
/// a match costs time proportional to the text's length whatever the pattern, so no pattern can backtrack
/// catastrophically and an evaluation's cost is bounded by its patterns and the attribute's length. Patterns that need
/// backtracking (backreferences, lookarounds, atomic groups, conditionals) are refused when the flag is validated.
/// </summary>
internal sealed class RegexCondition : Condition
{
    /// <summary>
    /// A safety net on one match, never expected to fire with linear-time matching: a match that still ran past it
    /// would fault the evaluation (the caller's default with reason ERROR) instead of stalling the caller's thread.
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    private const string ConstructMarker = "containing: '";

    /// <summary>Compiles one pattern as every regex condition runs it.</summary>
    /// <exception cref="ArgumentException">Not a valid regular expression.</exception>
    /// <exception cref="NotSupportedException">Valid, but needs backtracking (see <see cref="UnsupportedConstruct"/>).</exception>
    public static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, MatchTimeout);

    /// <summary>
    /// The construct a <see cref="NotSupportedException"/> from <see cref="Compile"/> names (e.g.
    /// <c>backreference (\ number)</c>); its whole message when it names none.
    /// </summary>
    public static string UnsupportedConstruct(NotSupportedException exception)
    {
        string message = exception.Message;
        int start = message.IndexOf(ConstructMarker, StringComparison.Ordinal);
        int end = message.LastIndexOf('\'');
        return start >= 0 && end > start + ConstructMarker.Length
            ? $"the construct '{message[(start + ConstructMarker.Length)..end]}'"
            : $"a construct that needs backtracking ({message})";
    }

    private readonly Regex[] _patterns;

    public RegexCondition(AttributeRef attribute, bool negate, Regex[] patterns)
        : base(attribute, negate)
    {
        _patterns = patterns;
    }

    protected override bool MatchesValue(AttributeValue value)
    {
        foreach (var pattern in _patterns)
        {
            if (pattern.IsMatch(value.Text))
            {
                return true;
            }
        }

        return false;
    }
}

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

/// <summary><c>cidr</c>: the attribute is an IP address in any of the blocks (IPv4 and IPv6).</summary>
internal sealed class CidrCondition : Condition
{
    private readonly CidrBlock[] _blocks;

    public CidrCondition(AttributeRef attribute, bool negate, CidrBlock[] blocks)
        : base(attribute, negate)
    {
        _blocks = blocks;
    }

    protected override bool MatchesValue(AttributeValue value)
    {
        if (!value.TryGetIp(out var ip))
        {
            return false;
        }

        foreach (ref readonly var block in _blocks.AsSpan())
        {
            if (block.Contains(ip))
            {
                return true;
            }
        }

        return false;
    }
}

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
