using FlagKit.Evaluation;

namespace FlagKit;

/// <summary>
/// Who and what a flag is evaluated for: an account, its segment, region, game, app, IP and client version, plus
/// any custom attributes. Conditions name these attributes; the account id is the default bucketing key.
/// </summary>
/// <remarks>
/// <para>
/// Build one per request or session and reuse it: <c>new EvaluationContext { AccountId = "42", Region = "eu" }</c>,
/// then <see cref="WithAttribute(string, string?)"/> for custom attributes. A context is immutable once built and
/// may be shared by any number of threads; parsed forms (the IP address) are computed on first use and cached.
/// </para>
/// <para>
/// Attribute names in conditions: <c>accountId</c>, <c>segment</c>, <c>region</c>, <c>game</c>, <c>app</c>,
/// <c>ip</c>, <c>clientVersion</c>; any other name is a custom attribute. Values compare ordinally (case matters).
/// </para>
/// </remarks>
public sealed class EvaluationContext
{
    private static readonly Dictionary<string, AttributeValue> NoCustom = new(StringComparer.Ordinal);

    // Held in this object, not in an array beside it: one memory read fewer for each attribute a condition reads.
    private WellKnownValues _wellKnown;
    private Dictionary<string, AttributeValue> _custom = NoCustom;

    /// <summary>Creates an empty context; set what you know with the init properties.</summary>
    public EvaluationContext()
    {
    }

    /// <summary>The account (player) id: the default key for percentage splits and individual targets.</summary>
    public string? AccountId { get => Text(AttributeKind.AccountId); init => Set(AttributeKind.AccountId, value); }

    /// <summary>The account's segment as the caller knows it (e.g. <c>vip</c>), attribute <c>segment</c>.</summary>
    public string? Segment { get => Text(AttributeKind.Segment); init => Set(AttributeKind.Segment, value); }

    /// <summary>The region or jurisdiction (e.g. <c>eu</c>), attribute <c>region</c>.</summary>
    public string? Region { get => Text(AttributeKind.Region); init => Set(AttributeKind.Region, value); }

    /// <summary>The game (e.g. <c>book-of-ra</c>), attribute <c>game</c>.</summary>
    public string? Game { get => Text(AttributeKind.Game); init => Set(AttributeKind.Game, value); }

    /// <summary>The calling application, attribute <c>app</c>.</summary>
    public string? App { get => Text(AttributeKind.App); init => Set(AttributeKind.App, value); }

    /// <summary>The client's IPv4 or IPv6 address, attribute <c>ip</c> (matched by <c>cidr</c> conditions).</summary>
    public string? ClientIp { get => Text(AttributeKind.Ip); init => Set(AttributeKind.Ip, value); }

    /// <summary>The client's semantic version (e.g. <c>3.2.0</c>), attribute <c>clientVersion</c>.</summary>
    public string? ClientVersion { get => Text(AttributeKind.ClientVersion); init => Set(AttributeKind.ClientVersion, value); }

    /// <summary>The context with no attributes (used when a caller passes none).</summary>
    internal static EvaluationContext Empty { get; } = new();

    /// <summary>A context for an account id alone.</summary>
    /// <param name="accountId">The account id.</param>
    /// <returns>A new context.</returns>
    public static EvaluationContext ForAccount(string accountId) => new() { AccountId = accountId };

    /// <summary>
    /// A copy of this context with a text attribute set (or removed, when <paramref name="value"/> is null). A
    /// well-known name (<c>region</c>, <c>ip</c>...) sets the well-known attribute.
    /// </summary>
    /// <param name="name">The attribute name.</param>
    /// <param name="value">The value; <see langword="null"/> removes the attribute.</param>
    /// <returns>A new context; this one is unchanged.</returns>
    public EvaluationContext WithAttribute(string name, string? value) => With(name, AttributeValue.FromText(value));

    /// <summary>A copy of this context with a number attribute set (e.g. a player level or a uid for range conditions).</summary>
    /// <param name="name">The attribute name.</param>
    /// <param name="value">The value.</param>
    /// <returns>A new context; this one is unchanged.</returns>
    public EvaluationContext WithAttribute(string name, double value) => With(name, AttributeValue.FromNumber(value));

    /// <summary>Reads an attribute as text (numbers in their shortest round-trip invariant form).</summary>
    /// <param name="name">A well-known or custom attribute name.</param>
    /// <returns>The value, or <see langword="null"/> when the context does not have it.</returns>
    public string? GetAttribute(string name) => Get(AttributeRef.Of(name))?.Text;

    /// <summary>The names of every attribute this context has.</summary>
    /// <returns>Well-known names first, then custom names in no particular order.</returns>
    public IEnumerable<string> GetAttributeNames()
    {
        string[] names = ["", "accountId", "segment", "region", "game", "app", "ip", "clientVersion"];
        for (var i = 1; i < WellKnownValues.Length; i++)
        {
            if (_wellKnown[i] is not null)
            {
                yield return names[i];
            }
        }

        foreach (var name in _custom.Keys)
        {
            yield return name;
        }
    }

    internal AttributeValue? Get(in AttributeRef attribute)
    {
        if (attribute.Kind != AttributeKind.Custom)
        {
            return _wellKnown[(int)attribute.Kind];
        }

        return _custom.GetValueOrDefault(attribute.Name);
    }

    private string? Text(AttributeKind kind) => _wellKnown[(int)kind]?.Text;

    private void Set(AttributeKind kind, string? value) => _wellKnown[(int)kind] = AttributeValue.FromText(value);

    private EvaluationContext With(string name, AttributeValue? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var copy = new EvaluationContext();
        copy._wellKnown = _wellKnown;
        var kind = AttributeRef.KindOf(name);
        if (kind != AttributeKind.Custom)
        {
            copy._wellKnown[(int)kind] = value;
            copy._custom = _custom;
            return copy;
        }

        var custom = new Dictionary<string, AttributeValue>(_custom, StringComparer.Ordinal);
        if (value is null)
        {
            custom.Remove(name);
        }
        else
        {
            custom[name] = value;
        }

        copy._custom = custom;
        return copy;
    }

    /// <summary>The well-known attributes, indexed by <see cref="AttributeKind"/> (slot 0, custom, unused).</summary>
    [System.Runtime.CompilerServices.InlineArray(Length)]
    private struct WellKnownValues
    {
        public const int Length = 8;

        private AttributeValue? _first;
    }
}
