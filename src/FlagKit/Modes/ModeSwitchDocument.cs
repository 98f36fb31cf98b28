namespace FlagKit.Modes;

/// <summary>One switch: a mode for a scope from now on, until switched off or until <see cref="Until"/>.</summary>
internal sealed class ModeSwitchDocument
{
    /// <summary>The switch's id (the server derives it from the scope: one switch per scope).</summary>
    public string? Id { get; set; }

    /// <summary><c>read-only</c> or <c>maintenance</c>.</summary>
    public string? Mode { get; set; }

    /// <summary>Attribute → values; the context must match every attribute (one of its values). None: everyone.</summary>
    public Dictionary<string, List<string>>? Scope { get; set; }

    /// <summary>When the switch ends by itself; none: until switched off.</summary>
    public DateTimeOffset? Until { get; set; }

    /// <summary>Who switched it on.</summary>
    public string? By { get; set; }

    /// <summary>Why.</summary>
    public string? Reason { get; set; }

    /// <summary>When it was switched on.</summary>
    public DateTimeOffset? At { get; set; }
}
