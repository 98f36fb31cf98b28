using FlagKit.Sources;
using Microsoft.Extensions.Logging;

namespace FlagKit.DependencyInjection;

/// <summary>The seams between the DI registration and the client/sources it builds.</summary>
internal static partial class FlagKitSourceFactory
{
    /// <summary>The file source for <see cref="FlagKitOptions.FlagsFile"/>.</summary>
    public static FlagSource CreateFileSource(string path, TimeProvider time, ILoggerFactory? loggers) =>
        new FileFlagSource(path, new FileFlagSourceOptions { TimeProvider = time, LoggerFactory = loggers });

    /// <summary>
    /// Starts the client (<see cref="FlagClient.StartAsync"/> waits for the first snapshot) without blocking the resolving thread: a source connects in the background and reports
    /// through the client's status, so a start failure is logged, never thrown into a constructor.
    /// </summary>
    public static void Start(FlagClient client, ILoggerFactory? loggers)
    {
        Task start = client.StartAsync(CancellationToken.None);
        if (start.IsCompletedSuccessfully)
        {
            return;
        }

        ILogger? log = loggers?.CreateLogger<FlagClient>();
        _ = start.ContinueWith(
            static (task, state) =>
            {
                if (task.Exception is { } e && state is ILogger logger)
                {
                    StartFailed(logger, e.GetBaseException());
                }
            },
            log,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    [LoggerMessage(FlagKitHostingLogEvents.ClientStartFailed, LogLevel.Error, "FlagKit client failed to start; it serves caller defaults until a source delivers flags", EventName = nameof(FlagKitHostingLogEvents.ClientStartFailed))]
    private static partial void StartFailed(ILogger logger, Exception exception);
}
