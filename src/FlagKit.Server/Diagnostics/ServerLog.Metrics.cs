using Microsoft.Extensions.Logging;

namespace FlagKit.Server.Diagnostics;

/// <summary>The log lines of the metrics endpoint and the webhook dispatcher.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(ServerLogEvents.MetricsScrapeRefused, LogLevel.Warning, "Refused a scrape of /metrics from {Peer}: {Reason}", EventName = nameof(ServerLogEvents.MetricsScrapeRefused))]
    public static partial void MetricsScrapeRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(ServerLogEvents.WebhookDelivered, LogLevel.Debug, "Webhook {Webhook}: event {EventId} ({EventType}) delivered on attempt {Attempt} ({Status})", EventName = nameof(ServerLogEvents.WebhookDelivered))]
    public static partial void WebhookDelivered(ILogger logger, string webhook, string eventId, string eventType, int attempt, int status);

    [LoggerMessage(ServerLogEvents.WebhookRetrying, LogLevel.Warning, "Webhook {Webhook}: event {EventId} ({EventType}) attempt {Attempt} failed ({Problem}); retrying in {Delay}", EventName = nameof(ServerLogEvents.WebhookRetrying))]
    public static partial void WebhookRetrying(ILogger logger, string webhook, string eventId, string eventType, int attempt, string problem, TimeSpan delay);

    [LoggerMessage(ServerLogEvents.WebhookFailed, LogLevel.Error, "Webhook {Webhook}: event {EventId} ({EventType}) not delivered after {Attempts} attempts: {Problem}", EventName = nameof(ServerLogEvents.WebhookFailed))]
    public static partial void WebhookFailed(ILogger logger, string webhook, string eventId, string eventType, int attempts, string problem);

    [LoggerMessage(ServerLogEvents.WebhookDropped, LogLevel.Warning, "Webhook {Webhook}: event {EventId} ({EventType}) dropped: {Capacity} events are waiting already", EventName = nameof(ServerLogEvents.WebhookDropped))]
    public static partial void WebhookDropped(ILogger logger, string webhook, string eventId, string eventType, int capacity);
}
