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
        return builder.Add(new HealthCheckRegistration(
            name,
            services => new FlagKitHealthCheck(services.GetRequiredService<FlagKit.FlagClient>(), services.GetRequiredService<FlagKitStatusMonitor>(), services.GetService<FlagKit.Sources.FlagSource>()),
            failureStatus,
            tags));
    }
}
