using Microsoft.AspNetCore.Builder;

namespace FlagKit.AspNetCore;

/// <summary>Names, on an endpoint, the flags its requests' outcomes are recorded against.</summary>
public static class RequestOutcomeEndpointExtensions
{
    /// <summary>
    /// Records each request of this endpoint (its status class and duration) against the variant each named flag served
    /// for the request's context. Needs <see cref="RequestOutcomeApplicationBuilderExtensions.UseFlagOutcomes"/> in
    /// the pipeline. Example: <c>app.MapPost("/checkout", Checkout).WithFlagOutcomes("checkout-v2")</c>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint (or group) builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="flags">The flag keys.</param>
    /// <returns>The builder.</returns>
    public static TBuilder WithFlagOutcomes<TBuilder>(this TBuilder builder, params string[] flags)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var metadata = new RequestOutcomeMetadata(flags);
        builder.Add(endpoint => endpoint.Metadata.Add(metadata));
        return builder;
    }
}
