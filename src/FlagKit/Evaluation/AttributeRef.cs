namespace FlagKit.Evaluation;

/// <summary>A context attribute named by a condition or a split, resolved at compile time.</summary>
internal readonly struct AttributeRef
{
    private AttributeRef(AttributeKind kind, string name)
    {
        Kind = kind;
        Name = name;
    }

    public AttributeKind Kind { get; }

    public string Name { get; }

    public static AttributeRef AccountId { get; } = new(AttributeKind.AccountId, "accountId");

    public static AttributeRef Of(string name) => new(KindOf(name), name);

    public static AttributeKind KindOf(string name) => name switch
    {
        "accountId" => AttributeKind.AccountId,
        "segment" => AttributeKind.Segment,
        "region" => AttributeKind.Region,
        "game" => AttributeKind.Game,
        "app" => AttributeKind.App,
        "ip" => AttributeKind.Ip,
        "clientVersion" => AttributeKind.ClientVersion,
        _ => AttributeKind.Custom,
    };

    public override string ToString() => Name;
}
