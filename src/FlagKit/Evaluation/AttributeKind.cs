namespace FlagKit.Evaluation;

/// <summary>The well-known context attributes, resolved from a condition's attribute name once, at compile time.</summary>
internal enum AttributeKind : byte
{
    Custom,
    AccountId,
    Segment,
    Region,
    Game,
    App,
    Ip,
    ClientVersion,
}
