using FlagKit.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds FlagKit's health check: <c>services.AddHealthChecks().AddFlagKit()</c>.</summary>
public static class FlagKitHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check on the registered <see cref="FlagKit.FlagClient"/>: Ready is Healthy, Stale (serving a
    /// disk cache or disconnected) is Degraded, Starting or Failed is <paramref name="failureStatus"/>
    /// (Unhealthy by default), with the client's reason.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <c>flagkit</c>.</param>
    /// <param name="failureStatus">Status reported when the client is Starting or Failed; Unhealthy when null.</param>
    /// <param name="tags">Tags to filter checks by (e.g. <c>ready</c>).</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddFlagKit(this IHealthChecksBuilder builder, string name = "flagkit", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(Registration(new FlagKitRegistration(null), name, failureStatus, tags));
    }

    /// <summary>
    /// Adds a health check on the keyed <see cref="FlagKit.FlagClient"/> registered with
    /// <c>AddKeyedFlagKit(serviceKey, ...)</c>, reporting as <see cref="AddFlagKit"/> does.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="serviceKey">The client's service key.</param>
    /// <param name="name">The check's name. Default <c>flagkit-</c> and the key.</param>
    /// <param name="failureStatus">Status reported when the client is Starting or Failed; Unhealthy when null.</param>
    /// <param name="tags">Tags to filter checks by (e.g. <c>ready</c>).</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddKeyedFlagKit(this IHealthChecksBuilder builder, string serviceKey, string? name = null, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(serviceKey);
        return builder.Add(Registration(new FlagKitRegistration(serviceKey), name ?? $"flagkit-{serviceKey}", failureStatus, tags));
    }

    private static HealthCheckRegistration Registration(FlagKitRegistration client, string name, HealthStatus? failureStatus, IEnumerable<string>? tags) =>
        new(
            name,
            services => new FlagKitHealthCheck(client.Resolve<FlagKit.FlagClient>(services)),
            failureStatus,
            tags);
}
