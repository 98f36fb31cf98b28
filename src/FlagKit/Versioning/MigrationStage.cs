namespace FlagKit.Versioning;

/// <summary>
/// Where a migration from an old path (schema, store, service) to a new one stands. Expand / migrate / contract map
/// onto Off → DualWrite (expand), Shadow → Live (migrate), Rampdown → Complete (contract).
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>stage (flag value)</term><description>reads / writes</description></listheader>
/// <item><term><see cref="Off"/> (<c>off</c>)</term><description>read old; write old.</description></item>
/// <item><term><see cref="DualWrite"/> (<c>dual-write</c>)</term><description>read old; write old, then new.</description></item>
/// <item><term><see cref="Shadow"/> (<c>shadow</c>)</term><description>read both, serve old, compare; write old, then new.</description></item>
/// <item><term><see cref="Live"/> (<c>live</c>)</term><description>read both, serve new, compare; write new, then old.</description></item>
/// <item><term><see cref="Rampdown"/> (<c>rampdown</c>)</term><description>read new; write new, then old.</description></item>
/// <item><term><see cref="Complete"/> (<c>complete</c>)</term><description>read new; write new.</description></item>
/// </list>
/// The first side written is the authoritative one; the other is written only if it succeeded.
/// </remarks>
public enum MigrationStage
{
    /// <summary>Old path only.</summary>
    Off,

    /// <summary>Writes go to both (old first, authoritative); reads from old.</summary>
    DualWrite,

    /// <summary>Reads from both, old served, the two compared; writes to both (old first).</summary>
    Shadow,

    /// <summary>Reads from both, new served, the two compared; writes to both (new first, authoritative).</summary>
    Live,

    /// <summary>Reads from new; writes to both (new first), so the old path can still be returned to.</summary>
    Rampdown,

    /// <summary>New path only.</summary>
    Complete,
}
