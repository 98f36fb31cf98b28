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
/// Registers <see cref="FlagKitOptions"/> (validated at start), a <see cref="FlagSource"/> built from them
/// (a <see cref="GrpcFlagSource"/> for <see cref="FlagKitOptions.ServerUrl"/>, a file source for
/// <see cref="FlagKitOptions.FlagsFile"/>), <see cref="FlagClient"/> as a singleton, and a hosted service.
/// A <see cref="FlagSource"/> registered before this call is used instead of the one built from the options.
/// </para>
/// <para>
/// Start: the client starts when it is first resolved. In a host (ASP.NET Core, Generic Host) the hosted service
/// resolves it while the host starts, so the connection opens before the first request, and (with
/// <see cref="FlagKitOptions.WaitForReadyOnStart"/>) waits up to <see cref="FlagKitOptions.StartTimeout"/> for flags;
/// it never fails the host's start. The container disposes the client (and its source) when it is disposed.
/// </para>
/// <para>Add the health check with <c>services.AddHealthChecks().AddFlagKit()</c>.</para>
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
        services.AddOptions<FlagKitOptions>().Configure(options => FlagKitOptionsBinder.Bind(configuration, options));
        return services.AddFlagKitCore();
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
        return services.AddFlagKitCore();
    }

    private static IServiceCollection AddFlagKitCore(this IServiceCollection services)
    {
        services.AddOptions<FlagKitOptions>().ValidateOnStart();
        bool customSource = services.Any(d => d.ServiceType == typeof(FlagSource));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FlagKitOptions>, FlagKitOptionsValidator>(_ => new FlagKitOptionsValidator(customSource)));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FlagKitStatusMonitor>();
        services.TryAddSingleton<FlagSource>(CreateSource);
        services.TryAddSingleton(CreateClient);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, FlagKitHostedService>());
        return services;
    }

    private static FlagSource CreateSource(IServiceProvider services)
    {
        FlagKitOptions options = services.GetRequiredService<IOptions<FlagKitOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetService<ILoggerFactory>();
        if (!string.IsNullOrWhiteSpace(options.FlagsFile))
        {
            return FlagKitSourceFactory.CreateFileSource(options.FlagsFile, time, loggers);
        }

        return new GrpcFlagSource(
            new GrpcFlagSourceOptions
            {
                ServerUrl = new Uri(options.ServerUrl!, UriKind.Absolute),
                ApiKey = options.ApiKey!,
                Environment = options.Environment!,
                AppName = options.AppName,
                AppVersion = options.AppVersion,
                CacheDirectory = options.CacheDirectory,
                StartTimeout = options.StartTimeout,
                ConnectTimeout = options.ConnectTimeout,
                ReconnectMinDelay = options.ReconnectMinDelay,
                ReconnectMaxDelay = options.ReconnectMaxDelay,
                FailedRetryDelay = options.FailedRetryDelay,
            },
            time,
            loggers);
    }

    private static FlagClient CreateClient(IServiceProvider services)
    {
        FlagKitOptions options = services.GetRequiredService<IOptions<FlagKitOptions>>().Value;
        var loggers = services.GetService<ILoggerFactory>();
        var client = new FlagClient(
            services.GetRequiredService<FlagSource>(),
            new FlagClientOptions
            {
                TimeProvider = services.GetRequiredService<TimeProvider>(),
                LoggerFactory = loggers,
                // The source serves its disk cache at StartTimeout; the grace lets the client's start see it land.
                StartTimeout = options.StartTimeout + StartGrace,
            });
        services.GetRequiredService<FlagKitStatusMonitor>().Watch(client);
        FlagKitSourceFactory.Start(client, loggers);
        return client;
    }
}
