using FlagKit;
using FlagKit.DependencyInjection;
using FlagKit.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers FlagKit in a service collection: <c>services.AddFlagKit(configuration.GetSection("FlagKit"))</c>.</summary>
/// <remarks>
/// <para>
/// Registers <see cref="FlagKitOptions"/> (bound by the configuration-binding source generator, validated at start),
/// a <see cref="FlagSource"/> built from them (a <see cref="GrpcFlagSource"/> for <see cref="FlagKitOptions.ServerUrl"/>,
/// a file source for <see cref="FlagKitOptions.FlagsFile"/>), <see cref="FlagClient"/> as a singleton, and a hosted
/// service. A <see cref="FlagSource"/> registered before this call (with the same service key) is used instead of
/// the one built from the options.
/// </para>
/// <para>
/// Start: the client starts when it is first resolved. In a host (ASP.NET Core, Generic Host) the hosted service
/// resolves it while the host starts, so the connection opens before the first request, and (with
/// <see cref="FlagKitOptions.WaitForReadyOnStart"/>) waits up to <see cref="FlagKitOptions.StartTimeout"/> for flags;
/// it never fails the host's start. The container disposes the client (and its source) when it is disposed.
/// </para>
/// <para>
/// Several clients (one per environment): <c>AddKeyedFlagKit("staging", ...)</c> registers a keyed
/// <see cref="FlagClient"/>, resolved with <c>[FromKeyedServices("staging")] FlagClient</c>; its options are the
/// named options <c>"staging"</c>.
/// </para>
/// <para>Add the health check with <c>services.AddHealthChecks().AddFlagKit()</c> (or <c>.AddKeyedFlagKit("staging")</c>).</para>
/// </remarks>
public static class FlagKitServiceCollectionExtensions
{
    private static readonly TimeSpan StartGrace = TimeSpan.FromSeconds(1);

    /// <summary>Adds FlagKit with options bound from a configuration section (usually <c>"FlagKit"</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section to bind <see cref="FlagKitOptions"/> from.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddFlagKit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // The configuration-binding source generator intercepts this call (EnableConfigurationBindingGenerator): the
        // reflection binder's trim/AOT warnings do not apply, but the analyzer sees the original call.
#pragma warning disable IL2026, IL3050
        services.AddOptions<FlagKitOptions>().Bind(configuration);
#pragma warning restore IL2026, IL3050
        return services.AddFlagKitCore(null, PathOf(configuration));
    }

    /// <summary>Adds FlagKit with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets <see cref="FlagKitOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddFlagKit(this IServiceCollection services, Action<FlagKitOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<FlagKitOptions>().Configure(configure);
        return services.AddFlagKitCore(null, null);
    }

    /// <summary>
    /// Adds a FlagKit client as a keyed service (one per environment, say), with options bound from a configuration
    /// section: resolve it with <c>[FromKeyedServices(serviceKey)] FlagClient</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The client's service key, also the name of its <see cref="FlagKitOptions"/>.</param>
    /// <param name="configuration">The section to bind <see cref="FlagKitOptions"/> from (e.g. <c>FlagKit:Staging</c>).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddKeyedFlagKit(this IServiceCollection services, string serviceKey, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(serviceKey);
        ArgumentNullException.ThrowIfNull(configuration);
        // The configuration-binding source generator intercepts this call (EnableConfigurationBindingGenerator): the
        // reflection binder's trim/AOT warnings do not apply, but the analyzer sees the original call.
#pragma warning disable IL2026, IL3050
        services.AddOptions<FlagKitOptions>(serviceKey).Bind(configuration);
#pragma warning restore IL2026, IL3050
        return services.AddFlagKitCore(serviceKey, PathOf(configuration));
    }

    /// <summary>Adds a FlagKit client as a keyed service, with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The client's service key, also the name of its <see cref="FlagKitOptions"/>.</param>
    /// <param name="configure">Sets <see cref="FlagKitOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddKeyedFlagKit(this IServiceCollection services, string serviceKey, Action<FlagKitOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(serviceKey);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<FlagKitOptions>(serviceKey).Configure(configure);
        return services.AddFlagKitCore(serviceKey, null);
    }

    private static string? PathOf(IConfiguration configuration) => configuration is IConfigurationSection section ? section.Path : null;

    private static IServiceCollection AddFlagKitCore(this IServiceCollection services, string? serviceKey, string? configurationPath)
    {
        var registration = new FlagKitRegistration(serviceKey);
        bool customSource = services.Any(d => d.ServiceType == typeof(FlagSource) && d.IsKeyedService == serviceKey is not null && Equals(d.ServiceKey, serviceKey));
        string origin = configurationPath ?? (serviceKey is null ? "FlagKit" : $"FlagKit[{serviceKey}]");
        services.AddOptions<FlagKitOptions>(registration.OptionsName)
            .PostConfigure(options =>
            {
                options.CustomSource = customSource;
                options.Origin = origin;
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FlagKitOptions>, FlagKitOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton<FlagSource>(serviceKey, (provider, _) => CreateSource(provider, registration));
        services.TryAddKeyedSingleton<FlagClient>(serviceKey, (provider, _) => CreateClient(provider, registration));
        if (!services.Any(d => !d.IsKeyedService && d.ServiceType == typeof(FlagKitRegistration) && registration.Equals(d.ImplementationInstance)))
        {
            services.AddSingleton(registration);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, FlagKitHostedService>());
        return services;
    }

    private static FlagKitOptions OptionsOf(IServiceProvider services, FlagKitRegistration registration) =>
        services.GetRequiredService<IOptionsMonitor<FlagKitOptions>>().Get(registration.OptionsName);

    private static FlagSource CreateSource(IServiceProvider services, FlagKitRegistration registration)
    {
        FlagKitOptions options = OptionsOf(services, registration);
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetService<ILoggerFactory>();
        if (!string.IsNullOrWhiteSpace(options.FlagsFile))
        {
            return FlagKitSourceFactory.CreateFileSource(options.FlagsFile, time, loggers);
        }

        return new GrpcFlagSource(
            WithMoreAddresses(options, new GrpcFlagSourceOptions
            {
                ServerUrl = new Uri(options.ServerUrlList[0], UriKind.Absolute),
                ApiKey = options.ApiKey!,
                Environment = options.Environment!,
                AppName = options.AppName,
                AppVersion = options.AppVersion,
                CacheDirectory = options.CacheDirectory,
                StartTimeout = options.StartTimeout,
                ServeCacheWhileConnecting = options.ServeCacheWhileConnecting,
                ConnectTimeout = options.ConnectTimeout,
                ReconnectMinDelay = options.ReconnectMinDelay,
                ReconnectMaxDelay = options.ReconnectMaxDelay,
                FailedRetryDelay = options.FailedRetryDelay,
            }),
            time,
            loggers);
    }

    /// <summary>The addresses after the first in <see cref="FlagKitOptions.ServerUrl"/> (several replicas) go to <see cref="GrpcFlagSourceOptions.ServerUrls"/>.</summary>
    private static GrpcFlagSourceOptions WithMoreAddresses(FlagKitOptions options, GrpcFlagSourceOptions source)
    {
        foreach (string address in options.ServerUrlList.Skip(1))
        {
            source.ServerUrls.Add(new Uri(address, UriKind.Absolute));
        }

        return source;
    }

    private static FlagClient CreateClient(IServiceProvider services, FlagKitRegistration registration)
    {
        FlagKitOptions options = OptionsOf(services, registration);
        var loggers = services.GetService<ILoggerFactory>();
        var client = new FlagClient(
            registration.Resolve<FlagSource>(services),
            new FlagClientOptions
            {
                TimeProvider = services.GetRequiredService<TimeProvider>(),
                LoggerFactory = loggers,
                // The source serves its disk cache at StartTimeout; the grace lets the client's start see it land.
                StartTimeout = options.StartTimeout + StartGrace,
                CountExposures = options.CountExposures,
                TelemetryInterval = options.TelemetryInterval,
            });
        FlagKitSourceFactory.Start(client, loggers);
        return client;
    }
}
