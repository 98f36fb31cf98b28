using System.Text.RegularExpressions;

namespace FlagKit.Evaluation;

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
