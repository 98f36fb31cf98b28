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

/// <summary>The text form of <see cref="MigrationStage"/> used as a migration flag's variant values.</summary>
public static class MigrationStages
{
    private static readonly string[] Names = ["off", "dual-write", "shadow", "live", "rampdown", "complete"];

    /// <summary>The flag value of a stage: <c>off</c>, <c>dual-write</c>, <c>shadow</c>, <c>live</c>, <c>rampdown</c>, <c>complete</c>.</summary>
    /// <param name="stage">The stage.</param>
    /// <returns>The value.</returns>
    public static string Format(MigrationStage stage) => Names[(int)stage];

    /// <summary>Reads a flag value (exact, lower case).</summary>
    /// <param name="value">The value.</param>
    /// <param name="stage">The stage.</param>
    /// <returns>Whether the value names a stage.</returns>
    public static bool TryParse(string? value, out MigrationStage stage)
    {
        var index = Array.IndexOf(Names, value);
        stage = index < 0 ? MigrationStage.Off : (MigrationStage)index;
        return index >= 0;
    }

    internal static bool ReadsOld(MigrationStage stage) => stage <= MigrationStage.Live;

    internal static bool ReadsNew(MigrationStage stage) => stage >= MigrationStage.Shadow;

    internal static bool ServesNew(MigrationStage stage) => stage >= MigrationStage.Live;

    internal static bool NewIsAuthoritative(MigrationStage stage) => stage >= MigrationStage.Live;

    internal static bool WritesBoth(MigrationStage stage) => stage is > MigrationStage.Off and < MigrationStage.Complete;
}
