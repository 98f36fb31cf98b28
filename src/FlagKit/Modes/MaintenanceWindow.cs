namespace FlagKit;

/// <summary>A maintenance window announced ahead, as the SDK tells the app (for a banner: "maintenance in 10 minutes").</summary>
/// <remarks>Immutable; built when the modes arrive, so reading it allocates nothing.</remarks>
public sealed class MaintenanceWindow
{
    internal MaintenanceWindow(string id, OperatingMode mode, DateTimeOffset start, DateTimeOffset end, string message)
    {
        Id = id;
        Mode = mode;
        Start = start;
        End = end;
        Message = message;
    }

    /// <summary>The window's id (e.g. <c>mw-3</c>).</summary>
    public string Id { get; }

    /// <summary>The mode during the window: <see cref="OperatingMode.Maintenance"/> or <see cref="OperatingMode.ReadOnly"/>.</summary>
    public OperatingMode Mode { get; }

    /// <summary>When it starts.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>When it ends.</summary>
    public DateTimeOffset End { get; }

    /// <summary>What users are told (may be empty).</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Mode} {Start:O} – {End:O}{(Message.Length > 0 ? ": " + Message : "")}";
}
