namespace FlagKit.Compilation;

/// <summary>The syntax of flag and segment keys: 1 to 128 of <c>A-Z a-z 0-9 . _ -</c>.</summary>
internal static class KeySyntax
{
    public const int MaxLength = 128;

    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static string Problem(string? key, string what) =>
        string.IsNullOrEmpty(key)
            ? $"the {what} key is missing"
            : $"'{key}' is not a valid {what} key: use 1 to {MaxLength} letters, digits, '.', '_' or '-'";
}
