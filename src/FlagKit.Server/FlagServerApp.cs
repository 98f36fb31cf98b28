using System.Net;
using FlagKit.Server.Admin;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.WebConsole;
using FlagKit.Server.Hosting;
using FlagKit.Server.Metrics;
using FlagKit.Server.Replication;
using FlagKit.Server.Scheduling;
using FlagKit.Server.Store;
using FlagKit.Server.Releases;
using FlagKit.Server.Sync;
using FlagKit.Server.Webhooks;
using FlagKit.Server.Writes;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlagKit.Server;

/// <summary>
/// Builds the flag server: configuration, Kestrel endpoints, the store, the hubs, the gRPC services and health.
/// Used by <c>Program.cs</c> and by tests (which start it in-process on port 0).
/// </summary>
internal static class FlagServerApp
{
    /// <summary>
    /// Builds the app and prepares its store (schema, default environment, bootstrap keys) so that it is ready to
    /// run. Configuration: appsettings.json, environment variables (<c>FlagKit__Server__Port</c>), command line
    /// (<c>--FlagKit:Server:Port=5080</c>); see <see cref="FlagServerOptions"/>.
    /// </summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="configure">Last changes to the builder before it is built (tests replace the <see cref="TimeProvider"/>).</param>
    /// <returns>The built app, not yet started.</returns>
    /// <exception cref="InvalidOperationException">A setting is invalid or contradicts the data file.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json next to the binaries, whatever the working directory (relative data paths stay relative to it).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var options = builder.Configuration.GetSection(FlagServerOptions.SectionName).Get<FlagServerOptions>() ?? new FlagServerOptions();
        options.Validate();
        builder.Services.AddOptions<FlagServerOptions>().Bind(builder.Configuration.GetSection(FlagServerOptions.SectionName));
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(15));

        var cleartextOnNetwork = false;
        if (!builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            RefuseUrls(builder.Configuration);
            var address = ListenAddress(options);
            cleartextOnNetwork = RefuseCleartextOnNetwork(options, address);
            builder.WebHost.ConfigureKestrel(kestrel => ConfigureEndpoints(kestrel, options, address));
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Dead peers: HTTP/2 pings on top of the application heartbeats (Kestrel's floor is one second).
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromTicks(Math.Max(options.HeartbeatInterval.Ticks, TimeSpan.TicksPerSecond));
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromTicks(Math.Max(options.HeartbeatInterval.Ticks * 3, TimeSpan.TicksPerSecond));
        });

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddFlagStore(options);
        services.AddSingleton<ApiKeyRegistry>();
        services.AddSingleton<ApiKeyInterceptor>();
        services.AddSingleton<RequestLimitsInterceptor>();
        services.AddSingleton<InstanceRegistry>();
        services.AddMetrics();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<HubRegistry>();
        services.AddHostedService(sp => sp.GetRequiredService<HubRegistry>());
        services.AddSingleton<EnvironmentCatalog>();
        services.AddSingleton<IScheduleStore>(sp => sp.GetRequiredService<IFlagStore>());
        services.AddSingleton<IFreezeStore>(sp => sp.GetRequiredService<IFlagStore>());
        services.AddSingleton(sp => new FreezeCalendar(sp.GetRequiredService<IFlagStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ScheduleBook>();
        services.AddSingleton<FreezeBook>();
        services.AddSingleton<ScheduleRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ScheduleRunner>());
        services.AddSingleton<FlagKit.Server.Modes.ModeCatalog>();
        services.AddHostedService(sp => sp.GetRequiredService<FlagKit.Server.Modes.ModeCatalog>());
        services.AddSingleton<ServerBootstrap>();
        services.AddReplication(options);
        services.TryAddSingleton<Releases.ReleaseReportInbox>();
        services.AddSingleton<TelemetryIngest>();
        services.AddSingleton<Sync.Direct.DirectSyncRouter>();
        services.AddSingleton<Releases.IReleaseNotifier, Releases.LoggingReleaseNotifier>();
        services.AddSingleton<Releases.IReleaseNotifier, Releases.WebhookReleaseNotifier>();
        services.AddSingleton<Releases.ReleaseRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<Releases.ReleaseRunner>());

        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ApiKeyInterceptor>();
            grpc.Interceptors.Add<RequestLimitsInterceptor>();
            grpc.MaxReceiveMessageSize = options.MaxMessageBytes;
            grpc.MaxSendMessageSize = options.MaxMessageBytes;
            grpc.EnableDetailedErrors = false;
        })
        .AddServiceOptions<FlagSyncService>(sync => sync.MaxReceiveMessageSize = Math.Min(options.MaxSyncRequestBytes, options.MaxMessageBytes))
        .AddServiceOptions<FlagAdminService>(admin => admin.Interceptors.Add<WriteRefusalInterceptor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<FlagSyncService>, SyncMethodProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<FlagAdminService>, StrictAdminMethodProvider>());
        services.AddGrpcHealthChecks().AddCheck<StoreHealthCheck>("store");
        if (options.Console)
        {
            ConsoleRegistration.AddConsole(services, options);
        }

        if (options.Metrics)
        {
            MetricsEndpoint.Add(services);
        }

        WebhookDispatcher.Add(services);

        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapGrpcService<FlagAdminService>().Add(endpoint =>
        {
            // The strict binding of each admin method wins over grpc-dotnet's default binding of the same route.
            if (endpoint.Metadata.Contains(StrictAdminMethodProvider.EndpointMarker) && endpoint is RouteEndpointBuilder route)
            {
                route.Order = -1;
            }
        });
        app.MapGrpcService<FlagSyncService>();
        app.MapGrpcHealthChecksService();
        app.MapHealthChecks("/healthz");
        if (options.Console)
        {
            ConsoleRegistration.MapConsole(app);
        }

        if (options.Metrics)
        {
            MetricsEndpoint.Map(app, options);
        }

        if (cleartextOnNetwork)
        {
            ServerLog.CleartextOnNetwork(app.Logger, options.Host, FlagServerOptions.SectionName, nameof(FlagServerOptions.AllowCleartextOnNetwork));
        }

        app.Services.GetRequiredService<ServerBootstrap>().Run();
        return app;
    }

    // ASP.NET Core's --urls / ASPNETCORE_URLS would be overridden by the endpoints below (with only a log warning), so a
    // server an operator meant to move would quietly stay where it was: refuse, and say what to set instead.
    private static void RefuseUrls(IConfiguration configuration)
    {
        if (configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls)
        {
            throw new InvalidOperationException(
                $"--urls / ASPNETCORE_URLS ('{urls}') is not how the FlagKit server is bound: it listens on {FlagServerOptions.SectionName}:Host, " +
                $"{FlagServerOptions.SectionName}:Port (gRPC, HTTP/2) and {FlagServerOptions.SectionName}:HttpPort (HTTP/1.1: health, metrics, console). " +
                $"Set those (e.g. --{FlagServerOptions.SectionName}:Port=5080), or configure Kestrel:Endpoints for full control, and remove the URLs.");
        }
    }

    private static IPAddress ListenAddress(FlagServerOptions options) => options.Host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "0.0.0.0" => IPAddress.Any,
        "::" or "[::]" => IPAddress.IPv6Any,
        _ => IPAddress.TryParse(options.Host, out var ip)
            ? ip
            : throw new InvalidOperationException($"Configuration {FlagServerOptions.SectionName}:Host: '{options.Host}' is not an IP address."),
    };

    /// <summary>
    /// A non-loopback bind without TLS is refused unless <see cref="FlagServerOptions.AllowCleartextOnNetwork"/> is set.
    /// </summary>
    /// <returns>True when the server will serve cleartext on the network (allowed explicitly: warn).</returns>
    /// <exception cref="InvalidOperationException">Cleartext on a non-loopback address, not allowed.</exception>
    private static bool RefuseCleartextOnNetwork(FlagServerOptions options, IPAddress address)
    {
        if (IPAddress.IsLoopback(address) || !string.IsNullOrEmpty(options.CertificatePath))
        {
            return false;
        }

        if (!options.AllowCleartextOnNetwork)
        {
            throw new InvalidOperationException(
                $"Configuration {FlagServerOptions.SectionName}:Host is '{options.Host}', a non-loopback address, and no certificate is configured: " +
                $"API keys and flags would travel in cleartext. Set {FlagServerOptions.SectionName}:CertificatePath (TLS), bind 127.0.0.1, " +
                $"or set {FlagServerOptions.SectionName}:{nameof(FlagServerOptions.AllowCleartextOnNetwork)}=true to accept it (e.g. behind a TLS-terminating proxy).");
        }

        return true;
    }

    private static void ConfigureEndpoints(KestrelServerOptions kestrel, FlagServerOptions options, IPAddress address)
    {
        kestrel.Listen(address, options.Port, listen =>
        {
            if (string.IsNullOrEmpty(options.CertificatePath))
            {
                // h2c: gRPC over cleartext HTTP/2 needs prior knowledge, so this port speaks HTTP/2 only.
                listen.Protocols = HttpProtocols.Http2;
            }
            else
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(options.CertificatePath, options.CertificatePassword);
            }

            // After TLS: connections whose first request is Sync are served by the direct path (Sync.Direct).
            listen.Use(next =>
            {
                var router = listen.ApplicationServices.GetRequiredService<Sync.Direct.DirectSyncRouter>();
                return connection => router.OnConnectedAsync(connection, next);
            });
        });

        if (options.HttpPort is { } httpPort)
        {
            kestrel.Listen(address, httpPort, listen => listen.Protocols = HttpProtocols.Http1);
        }
    }
}
