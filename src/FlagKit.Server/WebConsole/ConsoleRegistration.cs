using FlagKit.Server.Configuration;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// Wires the web console into the flag server: cookie sessions, antiforgery, authorization policies, security headers
/// and the pages. It answers on any port that speaks HTTP/1.1 (the <c>HttpPort</c>, or the TLS port): browsers do not
/// speak cleartext HTTP/2.
/// </summary>
internal static class ConsoleRegistration
{
    /// <summary>Registers the console's services (when <see cref="FlagServerOptions.Console"/> is on).</summary>
    /// <param name="services">The services.</param>
    /// <param name="options">The server's settings.</param>
    public static void AddConsole(IServiceCollection services, FlagServerOptions options)
    {
        services.AddAuthentication(ConsoleAuth.Scheme).AddCookie(ConsoleAuth.Scheme, cookie =>
        {
            cookie.Cookie.Name = ConsoleAuth.CookieName;
            cookie.Cookie.Path = ConsoleUrls.Root;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = options.ConsoleSessionLifetime;
            cookie.SlidingExpiration = false;
            cookie.LoginPath = ConsoleUrls.SignIn;
            cookie.ReturnUrlParameter = "returnUrl";
            cookie.Events.OnValidatePrincipal = ConsoleAuth.ValidateAsync;
            cookie.Events.OnRedirectToLogin = context =>
            {
                if (context.Request.Path.StartsWithSegments(ConsoleUrls.Root + "/api", StringComparison.Ordinal) || !HttpMethods.IsGet(context.Request.Method))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                }
                else
                {
                    context.Response.Redirect(context.RedirectUri);
                }

                return Task.CompletedTask;
            };
            cookie.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });
        services.AddOptions<CookieAuthenticationOptions>(ConsoleAuth.Scheme).Configure<TimeProvider>((cookie, time) => cookie.TimeProvider = time);
        services.AddAuthorizationBuilder()
            .AddPolicy(ConsoleAuth.ReadPolicy, p => p.AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireAuthenticatedUser())
            .AddPolicy(ConsoleAuth.WritePolicy, p => p.AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireRole(ConsoleUser.AdminRole));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "flagkit-console-csrf";
            antiforgery.Cookie.Path = ConsoleUrls.Root;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.FormFieldName = ConsoleAntiforgery.FieldName;
            antiforgery.HeaderName = null;
        });
    }

    /// <summary>Maps the console's endpoints.</summary>
    /// <param name="app">The app.</param>
    public static void MapConsole(WebApplication app)
    {
        ConsoleSecurityHeaders.Use(app);
        ConsoleAssets.Map(app);
        ConsoleAuth.Map(app);
        app.MapGet(ConsoleUrls.Root, () => Results.Redirect(ConsoleUrls.Flags)).RequireAuthorization(ConsoleAuth.ReadPolicy);
        ConsolePages.Map(app);
        InstancesPage.Map(app);
        EvaluatePage.Map(app);
        HistoryPage.Map(app);
        FlagWriteEndpoints.Map(app);
    }
}
