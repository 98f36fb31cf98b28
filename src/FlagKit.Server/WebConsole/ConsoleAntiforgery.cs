using FlagKit.Server.Diagnostics;
using Microsoft.AspNetCore.Antiforgery;

namespace FlagKit.Server.WebConsole;

/// <summary>Refuses every console POST whose antiforgery token is missing or wrong (400), before the handler runs.</summary>
internal static class ConsoleAntiforgery
{
    /// <summary>The form field carrying the token.</summary>
    public const string FieldName = "__csrf";

    /// <summary>The endpoint filter.</summary>
    /// <param name="context">The invocation.</param>
    /// <param name="next">The handler.</param>
    /// <returns>The handler's result, or 400.</returns>
    public static async ValueTask<object?> Validate(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http).ConfigureAwait(false);
        }
        catch (AntiforgeryValidationException)
        {
            ServerLog.ConsoleAntiforgeryRefused(
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleAntiforgery)), http.Request.Method, http.Request.Path.Value);
            var request = new ConsoleRequest(http);
            return request.Page("Refused", Html.Of($"""
                <h1>Refused</h1>
                {ConsoleLayout.Message("The form was stale or did not come from this console (antiforgery check failed). Reload the page and try again.", error: true)}
                """), status: StatusCodes.Status400BadRequest);
        }

        return await next(context).ConfigureAwait(false);
    }
}
