using Microsoft.AspNetCore.Http;

namespace FlagKit.AspNetCore;

/// <summary>
/// Options of the request outcome middleware (<see cref="RequestOutcomeApplicationBuilderExtensions.UseFlagOutcomes"/>):
/// which flags every request is recorded against, whose context they are evaluated for, and what counts as a failure.
/// </summary>
public sealed class RequestOutcomeOptions
{
    /// <summary>
    /// Flags every request is recorded against, beside those an endpoint names with
    /// <see cref="RequestOutcomeEndpointExtensions.WithFlagOutcomes{TBuilder}"/>. Empty by default.
    /// </summary>
    public IList<string> Flags { get; } = [];

    /// <summary>
    /// The context the named flags are evaluated for, per request: it must be the context the request's code evaluates
    /// them with, so that the outcome lands on the variant that request was served. By default the signed-in user's
    /// name as the account id (<c>HttpContext.User.Identity.Name</c>), or no context.
    /// </summary>
    public Func<HttpContext, EvaluationContext?> ContextFactory { get; set; } = DefaultContext;

    /// <summary>Whether a finished request counts as a failure. By default: a 5xx status, or an exception out of the pipeline.</summary>
    public Func<HttpContext, bool> IsFailure { get; set; } = static http => http.Response.StatusCode >= StatusCodes.Status500InternalServerError;

    private static EvaluationContext? DefaultContext(HttpContext http) =>
        http.User.Identity?.Name is { Length: > 0 } name ? EvaluationContext.ForAccount(name) : null;
}
