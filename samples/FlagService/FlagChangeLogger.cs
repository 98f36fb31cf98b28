using FlagKit;

namespace FlagService;

/// <summary>Logs every flag that changes and every status change of the client, as they happen.</summary>
internal sealed partial class FlagChangeLogger(FlagClient flags, ILogger<FlagChangeLogger> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        flags.FlagsChanged += OnFlagsChanged;
        flags.StatusChanged += OnStatusChanged;
        Log.Serving(logger, flags.Status, flags.Snapshot.Revision, flags.Snapshot.FlagCount);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        flags.FlagsChanged -= OnFlagsChanged;
        flags.StatusChanged -= OnStatusChanged;
        return Task.CompletedTask;
    }

    private void OnFlagsChanged(object? sender, FlagsChangedEventArgs e)
    {
        foreach (string key in e.Keys)
        {
            // Evaluated without context: what a caller with no targeting attributes gets now.
            EvaluationDetails<bool> now = flags.GetBoolDetails(key);
            switch (now.Reason)
            {
                case EvaluationReason.FlagNotFound:
                    Log.Removed(logger, key, e.Revision);
                    break;
                case EvaluationReason.TypeMismatch:
                    Log.Changed(logger, key, e.Revision);
                    break;
                default:
                    Log.Flipped(logger, key, now.Value, now.Reason, e.Revision);
                    break;
            }
        }
    }

    private void OnStatusChanged(object? sender, FlagClientStatusChangedEventArgs e) =>
        Log.StatusChanged(logger, e.PreviousStatus, e.Status, e.Detail ?? "");

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "FlagKit {Status}: revision {Revision}, {Count} flags")]
        public static partial void Serving(ILogger logger, FlagClientStatus status, long revision, int count);

        [LoggerMessage(2, LogLevel.Information, "Flag '{Key}' is now {Value} ({Reason}) at revision {Revision}")]
        public static partial void Flipped(ILogger logger, string key, bool value, EvaluationReason reason, long revision);

        [LoggerMessage(4, LogLevel.Information, "Flag '{Key}' was removed at revision {Revision}")]
        public static partial void Removed(ILogger logger, string key, long revision);

        [LoggerMessage(5, LogLevel.Information, "Flag '{Key}' changed at revision {Revision}")]
        public static partial void Changed(ILogger logger, string key, long revision);

        [LoggerMessage(3, LogLevel.Warning, "FlagKit status {Previous} -> {Status} {Detail}")]
        public static partial void StatusChanged(ILogger logger, FlagClientStatus previous, FlagClientStatus status, string detail);
    }
}
