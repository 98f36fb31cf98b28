namespace FlagKit.Server.WebConsole;

/// <summary>
/// The headers on every console response: a Content-Security-Policy that allows no inline script or style and
/// nothing from another origin, no framing, no sniffing, no referrer, no caching of pages that hold flag data.
/// </summary>
internal static class ConsoleSecurityHeaders
{
    /// <summary>The policy: scripts and styles only as files from the server itself.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Adds the headers to every response under the console's path.</summary>
    /// <param name="app">The app.</param>
    public static void Use(WebApplication app) =>
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(ConsoleUrls.Root, StringComparison.Ordinal))
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                if (!context.Request.Path.StartsWithSegments(ConsoleUrls.Root + "/assets", StringComparison.Ordinal))
                {
                    headers.CacheControl = "no-store";
                }
            }

            return next(context);
        });
}
