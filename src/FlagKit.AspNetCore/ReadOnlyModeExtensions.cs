using FlagKit.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Read-only and maintenance mode for ASP.NET Core: the middleware and the per-endpoint overrides.</summary>
public static class ReadOnlyModeExtensions
{
    /// <summary>
    /// Refuses mutating requests (POST, PUT, PATCH, DELETE by default) with <c>503</c> and <c>Retry-After</c> while the
    /// FlagKit environment is read-only or in maintenance for the request; reads go on. Place it after routing
    /// (<c>UseRouting</c>, implicit in minimal APIs) so that endpoint overrides are seen.
    /// </summary>
    /// <param name="app">The pipeline.</param>
    /// <param name="configure">Options: the request's context, the methods, the client.</param>
    /// <returns>The pipeline.</returns>
    public static IApplicationBuilder UseReadOnlyMode(this IApplicationBuilder app, Action<ReadOnlyModeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = new ReadOnlyModeOptions();
        configure?.Invoke(options);
        return app.Use(next => new ReadOnlyModeMiddleware(next, options).InvokeAsync);
    }

    /// <summary>Lets the endpoint run in read-only and maintenance mode, whatever its method.</summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <returns>The endpoint.</returns>
    public static TBuilder AllowDuringReadOnly<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static b => b.Metadata.Add(new AllowDuringReadOnlyAttribute()));
        return builder;
    }

    /// <summary>Refuses the endpoint in read-only and maintenance mode, whatever its method.</summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <returns>The endpoint.</returns>
    public static TBuilder BlockDuringReadOnly<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static b => b.Metadata.Add(new BlockDuringReadOnlyAttribute()));
        return builder;
    }
}
