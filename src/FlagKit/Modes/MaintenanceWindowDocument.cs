namespace FlagKit.Modes;

/// <summary>One maintenance window announced ahead: a mode for a scope from <see cref="Start"/> to <see cref="End"/>.</summary>
internal sealed class MaintenanceWindowDocument
{
    /// <summary>The window's id (e.g. <c>mw-3</c>).</summary>
    public string? Id { get; set; }

    /// <summary><c>maintenance</c> (the default) or <c>read-only</c>.</summary>
    public string? Mode { get; set; }

    /// <summary>When the window starts.</summary>
    public DateTimeOffset? Start { get; set; }

    /// <summary>When it ends.</summary>
    public DateTimeOffset? End { get; set; }

    /// <summary>What users are told ahead and during it.</summary>
    public string? Message { get; set; }

    /// <summary>Attribute → values, as for a switch. None: everyone.</summary>
    public Dictionary<string, List<string>>? Scope { get; set; }

    /// <summary>Who scheduled it.</summary>
    public string? By { get; set; }

    /// <summary>Why.</summary>
    public string? Reason { get; set; }

    /// <summary>When it was scheduled.</summary>
    public DateTimeOffset? At { get; set; }
}
