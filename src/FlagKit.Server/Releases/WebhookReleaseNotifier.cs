using FlagKit.Server.Webhooks;

namespace FlagKit.Server.Releases;

/// <summary>
/// Hands every release event to the <see cref="WebhookDispatcher"/> as <c>release.step</c>, <c>release.paused</c>,
/// <c>release.rolled_back</c> or <c>release.completed</c>. Never waits on delivery: the dispatcher queues (and signs,
/// retries) per endpoint; with no endpoint configured the event goes nowhere.
/// </summary>
internal sealed class WebhookReleaseNotifier(WebhookDispatcher dispatcher) : IReleaseNotifier
{
    /// <inheritdoc />
    public Task NotifyAsync(ReleaseNotification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var payload = new ReleaseWebhookPayload(
            notification.ReleaseId, notification.Environment, notification.Flag, notification.Percent, notification.Summary, notification.Time);
        dispatcher.Enqueue(EventType(notification.Kind), notification.Environment, payload, ReleaseWebhookJsonContext.Default.ReleaseWebhookPayload);
        return Task.CompletedTask;
    }

    /// <summary>The webhook event type of a release event.</summary>
    /// <param name="kind">What happened.</param>
    /// <returns>One of <see cref="WebhookEventTypes"/>.</returns>
    public static string EventType(ReleaseNotificationKind kind) => kind switch
    {
        ReleaseNotificationKind.StepAdvanced => WebhookEventTypes.ReleaseStep,
        ReleaseNotificationKind.Paused => WebhookEventTypes.ReleasePaused,
        ReleaseNotificationKind.RolledBack => WebhookEventTypes.ReleaseRolledBack,
        ReleaseNotificationKind.Completed => WebhookEventTypes.ReleaseCompleted,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a release event."),
    };
}
