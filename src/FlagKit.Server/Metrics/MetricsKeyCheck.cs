using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Hosting;

namespace FlagKit.Server.Metrics;

/// <summary>
/// Lets a scrape through only with <c>Authorization: Bearer &lt;key&gt;</c> of a live viewer or admin key (the roles
/// that may read the console): 401 without a key or with an unknown or revoked one, 403 with an SDK key. Prometheus
/// sends it with <c>authorization: { credentials_file: … }</c> in its scrape config.
/// </summary>
internal static class MetricsKeyCheck
{
    private const string Scheme = "Bearer ";

    /// <summary>Longest key looked at (checked before hashing).</summary>
    private const int MaxKeyChars = 256;

    /// <summary>The middleware.</summary>
    /// <param name="context">The request.</param>
    /// <param name="next">The exporter.</param>
    /// <returns>Completes when answered.</returns>
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var secret = header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? header[Scheme.Length..].Trim() : "";
        var keys = context.RequestServices.GetRequiredService<ApiKeyRegistry>();
        if (secret.Length == 0 || secret.Length > MaxKeyChars || !keys.TryAuthenticate(secret, out var key))
        {
            ServerLog.MetricsScrapeRefused(Logger(context), UntrustedText.ForLog(context.Connection.RemoteIpAddress?.ToString() ?? "?"), secret.Length == 0 ? "no key" : "unknown or revoked key");
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"flagkit-metrics\"";
            await context.Response.WriteAsync("A viewer or admin API key is required: Authorization: Bearer <key>.\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (key.Role is not (ApiKeyRole.Viewer or ApiKeyRole.Admin))
        {
            ServerLog.MetricsScrapeRefused(Logger(context), UntrustedText.ForLog(context.Connection.RemoteIpAddress?.ToString() ?? "?"), $"key {key.Id} is an SDK key");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync($"Key {key.Id} is an SDK key; metrics need a viewer or admin key.\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MetricsKeyCheck).FullName!);
}
