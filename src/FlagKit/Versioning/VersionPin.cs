namespace FlagKit.Versioning;

/// <summary>A version remembered for one pin key (a round, a session) of one version flag.</summary>
/// <remarks>
/// Plain data, so a durable store can serialize it as it likes (System.Text.Json reads and writes it as is, through
/// the constructor). The version is text so stores need not know <see cref="SemanticVersion"/>. Immutable.
/// </remarks>
public sealed class VersionPin
{
    /// <summary>Creates a pin (a durable <see cref="IVersionPinStore"/> rebuilds the pins it reads with this).</summary>
    /// <param name="flagKey">The version flag's key.</param>
    /// <param name="pinKey">The pin key.</param>
    /// <param name="version">The version pinned, as SemVer text.</param>
    /// <param name="variant">The variant that served it.</param>
    /// <param name="revision">The flag snapshot revision it was evaluated at.</param>
    /// <param name="flagVersion">The flag's own version at that time.</param>
    /// <param name="evaluationReason">Why the evaluation served that variant.</param>
    /// <param name="pinnedAt">When the pin was created.</param>
    public VersionPin(string flagKey, string pinKey, string version, string variant, long revision, long flagVersion, EvaluationReason evaluationReason, DateTimeOffset pinnedAt)
    {
        FlagKey = flagKey;
        PinKey = pinKey;
        Version = version;
        Variant = variant;
        Revision = revision;
        FlagVersion = flagVersion;
        EvaluationReason = evaluationReason;
        PinnedAt = pinnedAt;
    }

    /// <summary>The version flag's key.</summary>
    public string FlagKey { get; }

    /// <summary>The pin key.</summary>
    public string PinKey { get; }

    /// <summary>The version pinned, as SemVer text.</summary>
    public string Version { get; }

    /// <summary>The variant that served it.</summary>
    public string Variant { get; }

    /// <summary>The flag snapshot revision it was evaluated at.</summary>
    public long Revision { get; }

    /// <summary>The flag's own version at that time.</summary>
    public long FlagVersion { get; }

    /// <summary>Why the evaluation served that variant.</summary>
    public EvaluationReason EvaluationReason { get; }

    /// <summary>When the pin was created.</summary>
    public DateTimeOffset PinnedAt { get; }
}
