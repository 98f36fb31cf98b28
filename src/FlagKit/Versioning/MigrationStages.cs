namespace FlagKit.Versioning;

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
