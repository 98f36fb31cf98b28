namespace FlagKit.Server.Releases;

/// <summary>The notifier every server has: one log line per release event (event id <see cref="ReleaseLog"/>).</summary>
internal sealed class LoggingReleaseNotifier(ILogger<LoggingReleaseNotifier> logger) : IReleaseNotifier
{
    /// <inheritdoc />
    public Task NotifyAsync(ReleaseNotification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ReleaseLog.Notified(logger, notification.ReleaseId, notification.Kind, notification.Environment, notification.Flag, notification.Percent, notification.Summary);
        return Task.CompletedTask;
    }
}
