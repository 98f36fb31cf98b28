using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>
/// One condition: <c>attribute op values</c>, optionally negated. For example
/// <c>{ "attribute": "region", "op": "in", "values": ["eu", "uk"] }</c>.
/// </summary>
/// <remarks>
/// Operators: <c>in</c>, <c>notIn</c>, <c>equals</c>, <c>startsWith</c>, <c>endsWith</c>, <c>contains</c>, <c>regex</c>,
/// <c>lt</c>, <c>lte</c>, <c>gt</c>, <c>gte</c>, <c>between</c> (numeric, inclusive, two values),
/// <c>semverEq</c>, <c>semverLt</c>, <c>semverLte</c>, <c>semverGt</c>, <c>semverGte</c>, <c>semverRange</c>,
/// <c>cidr</c>, <c>before</c>, <c>after</c> (dates, ISO 8601), <c>inSegment</c> (values are segment keys).
/// A condition on an attribute the context does not have does not match (and so matches when negated).
/// </remarks>
public sealed class ConditionDocument
{
    /// <summary>
    /// Context attribute: <c>accountId</c>, <c>segment</c>, <c>region</c>, <c>game</c>, <c>app</c>, <c>ip</c>,
    /// <c>clientVersion</c>, or a custom attribute name. Ignored for <c>inSegment</c>.
    /// </summary>
    public string Attribute { get; set; } = "";

    /// <summary>The operator (see remarks on <see cref="ConditionDocument"/>).</summary>
    public string Op { get; set; } = "";

    /// <summary>Operands: strings or numbers, as the operator needs. Any one matching is a match.</summary>
    public List<JsonElement> Values { get; set; } = [];

    /// <summary>Inverts the result.</summary>
    public bool Negate { get; set; }
}
