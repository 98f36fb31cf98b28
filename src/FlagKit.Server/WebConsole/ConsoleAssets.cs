using System.Reflection;

namespace FlagKit.Server.WebConsole;

/// <summary>The console's stylesheet and script, embedded in the server (no separate front-end build).</summary>
internal static class ConsoleAssets
{
    /// <summary>Maps <c>/console/assets/console.css</c> and <c>/console/assets/console.js</c> (no data in them: served without a session).</summary>
    /// <param name="app">The app.</param>
    public static void Map(WebApplication app)
    {
        var css = Read("console.css");
        var js = Read("console.js");
        app.MapGet(ConsoleUrls.Stylesheet, () => Results.Bytes(css, "text/css; charset=utf-8"));
        app.MapGet(ConsoleUrls.Script, () => Results.Bytes(js, "text/javascript; charset=utf-8"));
    }

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("FlagKit.Server.WebConsole.Assets." + name)
            ?? throw new InvalidOperationException($"The console asset '{name}' is missing from the server's resources.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
