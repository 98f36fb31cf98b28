namespace FlagKit.Modes;

/// <summary>
/// An environment's operating modes as JSON (schema 1): the switches in force and the maintenance windows announced
/// ahead. The server stores and sends it; the SDK compiles it into a <see cref="ModeTable"/>.
/// </summary>
internal sealed class ModeDocument
{
    /// <summary>The document schema (1).</summary>
    public int Schema { get; set; } = ModeCompiler.CurrentSchema;

    /// <summary>Read-only or maintenance switches, each for a scope and optionally until a time.</summary>
    public List<ModeSwitchDocument>? Switches { get; set; }

    /// <summary>Maintenance windows announced ahead (start, end, message).</summary>
    public List<MaintenanceWindowDocument>? Windows { get; set; }
}
