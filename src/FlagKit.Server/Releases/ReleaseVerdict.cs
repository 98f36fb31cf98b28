namespace FlagKit.Server.Releases;

/// <summary>What one evaluation concluded about the treatment. Three kinds: "not enough data" is never a pass.</summary>
internal enum ReleaseVerdict
{
    /// <summary>There is not yet enough data to judge (or the data is not trusted).</summary>
    NotEnoughData,

    /// <summary>Enough data, and no guard shows harm.</summary>
    NoHarmShown,

    /// <summary>A guard or a ceiling shows the treatment does harm.</summary>
    Harm,
}
