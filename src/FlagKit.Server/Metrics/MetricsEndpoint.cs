using FlagKit.Server.Configuration;
using FlagKit.Server.Diagnostics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace FlagKit.Server.Metrics;

/// <summary>
/// The Prometheus scrape endpoint (<c>GET /metrics</c>, text exposition format 0.0.4, or OpenMetrics when the scraper
/// asks for it): OpenTelemetry's Prometheus exporter over the <see cref="ServerMetrics.MeterName"/> meter and .NET's
/// own <c>System.Runtime</c> meter. Prometheus speaks HTTP/1.1, so it is scraped on <c>HttpPort</c> (or the TLS port).
/// </summary>
/// <remarks>
/// Guarded like the rest of the server: by default a scrape needs <c>Authorization: Bearer</c> with a viewer or admin
/// key (<see cref="MetricsKeyCheck"/>); <see cref="FlagServerOptions.MetricsRequireKey"/> = false opens it (e.g. on a
/// private scrape network). Off altogether with <see cref="FlagServerOptions.Metrics"/> = false; the meter is still
/// there for other listeners.
/// </remarks>
internal static class MetricsEndpoint
{
    /// <summary>The scrape path.</summary>
    public const string Path = "/metrics";

    /// <summary>The .NET runtime's own meter (GC, thread pool, exceptions), exported beside the server's.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>Registers the meter provider and its Prometheus exporter (when <see cref="FlagServerOptions.Metrics"/> is on).</summary>
    /// <param name="services">The services.</param>
    public static void Add(IServiceCollection services) =>
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("flagkit-server"))
            .WithMetrics(metrics => metrics
                .AddMeter(ServerMetrics.MeterName, RuntimeMeterName)
                .AddPrometheusExporter(prometheus =>
                {
                    // Every scrape sees the figures of that moment (scrapes are seconds apart; the exporter serializes them).
                    prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                    prometheus.ScrapeEndpointPath = Path;
                }));

    /// <summary>Maps <see cref="Path"/>, behind the key check unless <see cref="FlagServerOptions.MetricsRequireKey"/> is off.</summary>
    /// <param name="app">The app.</param>
    /// <param name="options">The server's settings.</param>
    public static void Map(WebApplication app, FlagServerOptions options) =>
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch =>
        {
            if (options.MetricsRequireKey)
            {
                branch.Use(MetricsKeyCheck.InvokeAsync);
            }
        }, optionsName: null);
}
