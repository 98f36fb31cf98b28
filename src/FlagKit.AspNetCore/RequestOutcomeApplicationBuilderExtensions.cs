using Microsoft.AspNetCore.Builder;

namespace FlagKit.AspNetCore;

/// <summary>Adds the request outcome middleware to a pipeline.</summary>
public static class RequestOutcomeApplicationBuilderExtensions
{
    /// <summary>
    /// Records each request's outcome (5xx or an exception = failure; its duration) against the variants the flags named
    /// for it served: <see cref="RequestOutcomeOptions.Flags"/> and the endpoint's
    /// <see cref="RequestOutcomeEndpointExtensions.WithFlagOutcomes{TBuilder}"/>. Place it early (it times what runs
    /// after it) and after routing when endpoints name flags (a <c>WebApplication</c> routes first by itself). Needs a
    /// <see cref="FlagClient"/> in the container (<c>AddFlagKit</c>).
    /// </summary>
    /// <param name="app">The pipeline.</param>
    /// <param name="configure">Sets the options: global flags, the context factory, what is a failure.</param>
    /// <returns>The pipeline.</returns>
    public static IApplicationBuilder UseFlagOutcomes(this IApplicationBuilder app, Action<RequestOutcomeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = new RequestOutcomeOptions();
        configure?.Invoke(options);
        ArgumentNullException.ThrowIfNull(options.ContextFactory, "RequestOutcomeOptions.ContextFactory");
        ArgumentNullException.ThrowIfNull(options.IsFailure, "RequestOutcomeOptions.IsFailure");
        return app.UseMiddleware<RequestOutcomeMiddleware>(options);
    }
}
