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
    // The source serves its cache exactly at StartTimeout; a little grace lets that land before the host goes on.
    private static readonly TimeSpan StartGrace = TimeSpan.FromMilliseconds(250);

    private readonly IServiceProvider _services;
    private readonly IOptions<FlagKitOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    public FlagKitHostedService(IServiceProvider services, IOptions<FlagKitOptions> options, TimeProvider time, ILoggerFactory? loggers = null)
    {
        _services = services;
        _options = options;
        _time = time;
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
            // StartAsync waits for the first snapshot (from the server, or the disk cache after StartTimeout).
            await client.StartAsync(cancellationToken).WaitAsync(options.StartTimeout + StartGrace, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Reported below.
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
