namespace FlagKit.Compilation;

/// <summary>Checks the values of <c>version</c> flags.</summary>
internal static class VersionVariants
{
    public static bool IsValid(string? value) => !string.IsNullOrWhiteSpace(value);
}
