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

    // A fixed sample of accounts, built once: shows what a rollout or a kill does to real traffic.
    private static readonly EvaluationContext[] SampleAccounts =
        Enumerable.Range(1, 1000).Select(i => EvaluationContext.ForAccount(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();

    private void OnFlagsChanged(object? sender, FlagsChangedEventArgs e)
    {
        foreach (string key in e.Keys)
        {
            EvaluationDetails<bool> first = flags.GetBoolDetails(key, SampleAccounts[0]);
            switch (first.Reason)
            {
                case EvaluationReason.FlagNotFound:
                    Log.Removed(logger, key, e.Revision);
                    break;
                case EvaluationReason.TypeMismatch:
                    Log.Changed(logger, key, e.Revision);
                    break;
                default:
                    int on = SampleAccounts.Count(account => flags.IsEnabled(key, account));
                    Log.Flipped(logger, key, on, SampleAccounts.Length, first.Reason, e.Revision);
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

        [LoggerMessage(2, LogLevel.Information, "Flag '{Key}' changed at revision {Revision}: on for {On} of {Sample} sample accounts (account 1: {Reason})")]
        public static partial void Flipped(ILogger logger, string key, int on, int sample, EvaluationReason reason, long revision);

        [LoggerMessage(4, LogLevel.Information, "Flag '{Key}' was removed at revision {Revision}")]
        public static partial void Removed(ILogger logger, string key, long revision);

        [LoggerMessage(5, LogLevel.Information, "Flag '{Key}' changed at revision {Revision}")]
        public static partial void Changed(ILogger logger, string key, long revision);

        [LoggerMessage(3, LogLevel.Warning, "FlagKit status {Previous} -> {Status} {Detail}")]
        public static partial void StatusChanged(ILogger logger, FlagClientStatus previous, FlagClientStatus status, string detail);
    }
}
