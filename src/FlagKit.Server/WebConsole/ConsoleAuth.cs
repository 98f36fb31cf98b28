using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// Sign-in with an API key (admin or viewer), sign-out, and the check every request makes that the session's key is
/// still live. The key's secret is only ever read from the sign-in form's body: never put in the session cookie, a
/// URL, a page or a log (logs name the key id).
/// </summary>
internal static class ConsoleAuth
{
    /// <summary>The console's cookie authentication scheme.</summary>
    public const string Scheme = "FlagKitConsole";

    /// <summary>Policy: any signed-in console user.</summary>
    public const string ReadPolicy = "flagkit-console-read";

    /// <summary>Policy: a signed-in admin (writes).</summary>
    public const string WritePolicy = "flagkit-console-write";

    /// <summary>The session cookie's name.</summary>
    public const string CookieName = "flagkit-console";

    /// <summary>Longest key accepted in the form (checked before any lookup).</summary>
    private const int MaxKeyChars = 256;

    /// <summary>Maps the sign-in page, its POST and sign-out.</summary>
    /// <param name="app">The app.</param>
    public static void Map(WebApplication app)
    {
        app.MapGet(ConsoleUrls.SignIn, (HttpContext context) =>
        {
            var request = new ConsoleRequest(context);
            return SignInPage(request, request.Query("signedOut") is not null ? "You are signed out." : null, error: false, request.Query("returnUrl"));
        });
        app.MapPost(ConsoleUrls.SignIn, (Delegate)SignInAsync).AddEndpointFilter(ConsoleAntiforgery.Validate).DisableAntiforgery();
        app.MapPost(ConsoleUrls.SignOut, async (HttpContext context) =>
        {
            var user = ConsoleUser.From(context.User);
            await context.SignOutAsync(Scheme).ConfigureAwait(false);
            if (user is not null)
            {
                ServerLog.ConsoleSignedOut(Logger(context), user.KeyId);
            }

            return Results.Redirect(ConsoleUrls.SignIn + "?signedOut=1");
        }).AddEndpointFilter(ConsoleAntiforgery.Validate).RequireAuthorization(ReadPolicy).DisableAntiforgery();
    }

    /// <summary>
    /// Runs on every request with a session: a session whose key was revoked since sign-in ends at once.
    /// </summary>
    /// <param name="context">The cookie's principal.</param>
    /// <returns>Completes when checked.</returns>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var user = context.Principal is null ? null : ConsoleUser.From(context.Principal);
        var keys = context.HttpContext.RequestServices.GetRequiredService<ApiKeyRegistry>();
        if (user is null || keys.FindLive(user.KeyId) is not { } key || key.Role != user.Role)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme).ConfigureAwait(false);
        }
    }

    private static async Task<IResult> SignInAsync(HttpContext context)
    {
        var request = new ConsoleRequest(context);
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var returnUrl = form["returnUrl"].ToString();
        var secret = form["key"].ToString().Trim();
        if (secret.Length == 0 || secret.Length > MaxKeyChars)
        {
            return SignInPage(request, $"Enter an API key (at most {MaxKeyChars} characters).", error: true, returnUrl, StatusCodes.Status400BadRequest);
        }

        var keys = context.RequestServices.GetRequiredService<ApiKeyRegistry>();
        var peer = UntrustedText.ForLog(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (!keys.TryAuthenticate(secret, out var key))
        {
            ServerLog.ConsoleSignInUnknownKey(Logger(context), peer);
            return SignInPage(request, "That key is unknown or revoked.", error: true, returnUrl, StatusCodes.Status401Unauthorized);
        }

        if (key.Role is not (ApiKeyRole.Admin or ApiKeyRole.Viewer))
        {
            ServerLog.ConsoleSignInSdkKey(Logger(context), peer, key.Id);
            return SignInPage(request, "SDK keys cannot sign in to the console: use an admin or a viewer key.", error: true, returnUrl, StatusCodes.Status403Forbidden);
        }

        var user = new ConsoleUser(key.Id, key.Name, key.Role);
        await context.SignInAsync(Scheme, user.ToPrincipal(Scheme), new AuthenticationProperties { IsPersistent = false }).ConfigureAwait(false);
        ServerLog.ConsoleSignedIn(Logger(context), key.Id, user.RoleName, peer);
        return Results.Redirect(ConsoleUrls.IsConsolePath(returnUrl) ? returnUrl : ConsoleUrls.Flags);
    }

    private static IResult SignInPage(ConsoleRequest request, string? message, bool error, string? returnUrl, int status = StatusCodes.Status200OK) =>
        request.Page("Sign in", Html.Of($"""
            <h1>Sign in</h1>
            {ConsoleLayout.Message(message, error)}
            <form method="post" action="{ConsoleUrls.SignIn}" class="sign-in">
              {request.Antiforgery}
              <input type="hidden" name="returnUrl" value="{(ConsoleUrls.IsConsolePath(returnUrl) ? returnUrl : "")}">
              <label for="key">API key</label>
              <input id="key" name="key" type="password" autocomplete="off" required autofocus aria-describedby="key-help">
              <p id="key-help" class="help">An admin key (reads and writes) or a viewer key (reads only). The key stays in this form: the session remembers only its name.</p>
              <button type="submit">Sign in</button>
            </form>
            """), status: status);

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("FlagKit.Server.WebConsole");
}
