using FlagKit.Versioning;

namespace FlagKit.Compilation;

/// <summary>Checks the values of <c>version</c> flags: each must be a SemVer 2.0 version.</summary>
internal static class VersionVariants
{
    public static bool IsValid(string? value) => SemanticVersion.TryParse(value, out _);
}
