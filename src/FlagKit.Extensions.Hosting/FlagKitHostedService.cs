using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlagKit.DependencyInjection;

/// <summary>
/// Starts the <see cref="FlagClient"/> while the host starts and, with <see cref="FlagKitOptions.WaitForReadyOnStart"/>,
/// waits up to <see cref="FlagKitOptions.StartTimeout"/> for flags. Never fails the host's start.
/// </summary>
internal sealed partial class FlagKitHostedService : IHostedService
{
    private readonly IServiceProvider _services;
    private readonly IOptions<FlagKitOptions> _options;
    private readonly ILogger _log;

    public FlagKitHostedService(IServiceProvider services, IOptions<FlagKitOptions> options, ILoggerFactory? loggers = null)
    {
        _services = services;
        _options = options;
        _log = (ILogger?)loggers?.CreateLogger<FlagKitHostedService>() ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        FlagKitOptions options = _options.Value;
        FlagClient client = _services.GetRequiredService<FlagClient>();
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
            NotReady(_log, options.StartTimeout, client.Status);
        }
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(21, LogLevel.Warning, "FlagKit flags not from the server after {Timeout} (status {Status}); the host starts anyway and flags apply as they arrive")]
    private static partial void NotReady(ILogger logger, TimeSpan timeout, FlagClientStatus status);
}
