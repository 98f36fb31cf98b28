namespace FlagKit.Server.WebConsole;

/// <summary>The console's addresses. Every value put into a URL is escaped here.</summary>
internal static class ConsoleUrls
{
    /// <summary>Where the console lives.</summary>
    public const string Root = "/console";

    /// <summary>The sign-in page.</summary>
    public const string SignIn = Root + "/sign-in";

    /// <summary>Signs out (POST).</summary>
    public const string SignOut = Root + "/sign-out";

    /// <summary>The environments page.</summary>
    public const string Environments = Root + "/environments";

    /// <summary>The flags page.</summary>
    public const string Flags = Root + "/flags";

    /// <summary>The stylesheet.</summary>
    public const string Stylesheet = Root + "/assets/console.css";

    /// <summary>The script (a file: the CSP allows no inline script).</summary>
    public const string Script = Root + "/assets/console.js";

    /// <summary>A flag's page.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="key">The flag key.</param>
    /// <returns>The URL.</returns>
    public static string Flag(string environment, string key) => With($"{Flags}/{Uri.EscapeDataString(key)}", ("env", environment));

    /// <summary>A path with a query string; empty values are left out.</summary>
    /// <param name="path">The path (already escaped).</param>
    /// <param name="query">Name/value pairs.</param>
    /// <returns>The URL.</returns>
    public static string With(string path, params (string Name, string? Value)[] query)
    {
        var parts = query.Where(q => !string.IsNullOrEmpty(q.Value)).Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value!)}").ToList();
        return parts.Count == 0 ? path : path + "?" + string.Join("&", parts);
    }

    /// <summary>Whether a return address is a console page (no open redirect to another site).</summary>
    /// <param name="url">The address given.</param>
    /// <returns>True for a local console path.</returns>
    public static bool IsConsolePath(string? url) =>
        url is not null && url.StartsWith(Root + "/", StringComparison.Ordinal) && !url.Contains("//", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal);
}
