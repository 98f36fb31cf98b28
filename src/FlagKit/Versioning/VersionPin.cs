namespace FlagKit.Versioning;

/// <summary>A version remembered for one pin key (a round, a session) of one version flag.</summary>
/// <param name="FlagKey">The version flag's key.</param>
/// <param name="PinKey">The pin key.</param>
/// <param name="Version">The version pinned, as SemVer text.</param>
/// <param name="Variant">The variant that served it.</param>
/// <param name="Revision">The flag snapshot revision it was evaluated at.</param>
/// <param name="FlagVersion">The flag's own version at that time.</param>
/// <param name="EvaluationReason">Why the evaluation served that variant.</param>
/// <param name="PinnedAt">When the pin was created.</param>
/// <remarks>
/// Plain data, so a durable store can serialize it as it likes (System.Text.Json handles it as is). The version is
/// text so stores need not know <see cref="SemanticVersion"/>.
/// </remarks>
public sealed record VersionPin(
    string FlagKey,
    string PinKey,
    string Version,
    string Variant,
    long Revision,
    long FlagVersion,
    EvaluationReason EvaluationReason,
    DateTimeOffset PinnedAt);
