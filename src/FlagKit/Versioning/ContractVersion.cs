namespace FlagKit.Versioning;

/// <summary>One version of a <see cref="Contract"/> and its status.</summary>
/// <remarks>Immutable and safe to share between threads.</remarks>
public sealed class ContractVersion
{
    private ContractVersion(SemanticVersion version, ContractVersionStatus status, DateTimeOffset? sunset, DateTimeOffset? deprecatedSince)
    {
        if (!string.IsNullOrEmpty(version.BuildMetadata))
        {
            throw new ArgumentException($"Contract version '{version}' has build metadata; contract versions are compared by precedence and carried on the wire without it.", nameof(version));
        }

        Version = version;
        Status = status;
        Sunset = sunset;
        DeprecatedSince = deprecatedSince;
    }

    private string? _text;

    /// <summary>The version.</summary>
    public SemanticVersion Version { get; }

    /// <summary>The version as text, computed once (telemetry tags and wire values reuse it).</summary>
    internal string Text => _text ??= Version.ToString();

    /// <summary>Active, deprecated or retired.</summary>
    public ContractVersionStatus Status { get; }

    /// <summary>For a deprecated version, when it stops being served (announced to peers); else null.</summary>
    public DateTimeOffset? Sunset { get; }

    /// <summary>For a deprecated version, when the deprecation took effect, if known (HTTP <c>Deprecation</c> header); else null.</summary>
    public DateTimeOffset? DeprecatedSince { get; }

    /// <summary>An active version.</summary>
    /// <param name="version">The version, e.g. <c>3.1.0</c>.</param>
    /// <returns>The contract version.</returns>
    /// <exception cref="FormatException"><paramref name="version"/> is not a semantic version.</exception>
    public static ContractVersion Active(string version) => new(SemanticVersion.Parse(version), ContractVersionStatus.Active, null, null);

    /// <summary>An active version.</summary>
    /// <param name="version">The version.</param>
    /// <returns>The contract version.</returns>
    public static ContractVersion Active(SemanticVersion version) => new(version, ContractVersionStatus.Active, null, null);

    /// <summary>A deprecated version: still served, with the date it stops being served.</summary>
    /// <param name="version">The version, e.g. <c>2.5.0</c>.</param>
    /// <param name="sunset">When it stops being served.</param>
    /// <param name="deprecatedSince">When the deprecation took effect, if known.</param>
    /// <returns>The contract version.</returns>
    /// <exception cref="FormatException"><paramref name="version"/> is not a semantic version.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The two overloads differ only in how the version is given (text or parsed); both came in 0.1.0 together.")]
    public static ContractVersion Deprecated(string version, DateTimeOffset sunset, DateTimeOffset? deprecatedSince = null) =>
        new(SemanticVersion.Parse(version), ContractVersionStatus.Deprecated, sunset, deprecatedSince);

    /// <summary>A deprecated version: still served, with the date it stops being served.</summary>
    /// <param name="version">The version.</param>
    /// <param name="sunset">When it stops being served.</param>
    /// <param name="deprecatedSince">When the deprecation took effect, if known.</param>
    /// <returns>The contract version.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The two overloads differ only in how the version is given (text or parsed); both came in 0.1.0 together.")]
    public static ContractVersion Deprecated(SemanticVersion version, DateTimeOffset sunset, DateTimeOffset? deprecatedSince = null) =>
        new(version, ContractVersionStatus.Deprecated, sunset, deprecatedSince);

    /// <summary>A retired version: known, never chosen (a peer that offers only retired versions is told so).</summary>
    /// <param name="version">The version, e.g. <c>2.0.0</c>.</param>
    /// <returns>The contract version.</returns>
    /// <exception cref="FormatException"><paramref name="version"/> is not a semantic version.</exception>
    public static ContractVersion Retired(string version) => new(SemanticVersion.Parse(version), ContractVersionStatus.Retired, null, null);

    /// <summary>A retired version: known, never chosen.</summary>
    /// <param name="version">The version.</param>
    /// <returns>The contract version.</returns>
    public static ContractVersion Retired(SemanticVersion version) => new(version, ContractVersionStatus.Retired, null, null);

    /// <summary>For example <c>2.5.0 (deprecated, sunset 2026-12-31)</c>.</summary>
    /// <returns>The version and its status.</returns>
    public override string ToString() => Status switch
    {
        ContractVersionStatus.Active => Version.ToString(),
        ContractVersionStatus.Deprecated => $"{Version} (deprecated, sunset {Sunset:yyyy-MM-dd})",
        _ => $"{Version} (retired)",
    };
}
