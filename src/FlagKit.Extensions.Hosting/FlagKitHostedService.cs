using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlagKit.DependencyInjection;

/// <summary>
/// Starts every registered <see cref="FlagClient"/> (the default one and each keyed one) while the host starts and,
/// for those with <see cref="FlagKitOptions.WaitForReadyOnStart"/>, waits up to <see cref="FlagKitOptions.StartTimeout"/>
/// for flags, all at once. Never fails the host's start.
/// </summary>
internal sealed partial class FlagKitHostedService : IHostedService
{
    private readonly IServiceProvider _services;
    private readonly IEnumerable<FlagKitRegistration> _registrations;
    private readonly IOptionsMonitor<FlagKitOptions> _options;
    private readonly ILogger _log;

    public FlagKitHostedService(IServiceProvider services, IEnumerable<FlagKitRegistration> registrations, IOptionsMonitor<FlagKitOptions> options, ILoggerFactory? loggers = null)
    {
        _services = services;
        _registrations = registrations;
        _options = options;
        _log = (ILogger?)loggers?.CreateLogger<FlagKitHostedService>() ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_registrations.Select(r => StartAsync(r, cancellationToken)));

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task StartAsync(FlagKitRegistration registration, CancellationToken cancellationToken)
    {
        FlagKitOptions options = _options.Get(registration.OptionsName);
        FlagClient client = registration.Resolve<FlagClient>(_services);
        if (!options.WaitForReadyOnStart)
        {
            return;
        }

        try
        {
            // StartAsync waits for the first snapshot (from the server, or the disk cache after StartTimeout),
            // bounded by the client's own start timeout; it does not throw on timeout.
            await client.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The client logged and reported it; the host starts anyway.
        }

        if (client.Status != FlagClientStatus.Ready)
        {
            NotReady(_log, options.Origin, options.StartTimeout, client.Status);
        }
    }

    [LoggerMessage(FlagKitHostingLogEvents.NotReadyOnStart, LogLevel.Warning, "FlagKit ({Client}) flags not from the server after {Timeout} (status {Status}); the host starts anyway and flags apply as they arrive", EventName = nameof(FlagKitHostingLogEvents.NotReadyOnStart))]
    private static partial void NotReady(ILogger logger, string client, TimeSpan timeout, FlagClientStatus status);
}
