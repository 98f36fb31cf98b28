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
