namespace FlagKit.Server.Diagnostics;

/// <summary>
/// Every log event of the FlagKit.Server assembly, with its id, in one place: an id names one event and is never
/// reused, so a log query by id finds exactly that event. The server's range is 3000-3999 (FlagKit has 1000-1999,
/// FlagKit.Extensions.Hosting 2000-2999): auth 3000-3099, hosting 3100-3199, sync 3200-3299, web console 3300-3399,
/// writes 3400-3499. The event name is the constant's name (<c>EventName = nameof(...)</c>). A test checks that ids
/// and names are unique and inside the range.
/// </summary>
internal static class ServerLogEvents
{
    // Auth (ApiKeyInterceptor): 3000-3099.
    public const int CallRefusedUnknownKey = 3000;
    public const int CallRefusedNotAdmin = 3001;

    // Hosting (FlagServerApp, ServerBootstrap): 3100-3199.
    public const int CleartextOnNetwork = 3100;
    public const int BootstrapSdkKeyStored = 3101;
    public const int BootstrapAdminKeyStored = 3102;

    // Sync (FlagSyncService, HubRegistry): 3200-3299.
    public const int StreamOpened = 3200;
    public const int StreamResync = 3201;
    public const int StreamRevoked = 3202;
    public const int StreamClientGone = 3203;
    public const int StreamMessageRefused = 3204;
    public const int StreamAborted = 3205;
    public const int HeartbeatStopped = 3206;
    public const int FanoutCompleted = 3250;
    public const int TelemetryRateLimited = 3260;
    public const int DirectConnectionError = 3270;
    public const int DirectHandlerFailed = 3271;
    public const int DirectKeepAliveTimedOut = 3272;

    // Web console (ConsoleAntiforgery, ConsoleAuth): 3300-3399.
    public const int ConsoleAntiforgeryRefused = 3300;
    public const int ConsoleSignedOut = 3301;
    public const int ConsoleSignInUnknownKey = 3302;
    public const int ConsoleSignInSdkKey = 3303;
    public const int ConsoleSignedIn = 3304;

    // Writes (EnvironmentCatalog): 3400-3499.
    public const int EnvironmentNoLongerCompiles = 3400;
    public const int EnvironmentLoaded = 3401;
    public const int EnvironmentCreated = 3402;
    public const int WriteRaced = 3403;
    public const int CommitFailed = 3404;
    public const int WriteCommitted = 3405;

    // Metrics and webhooks (MetricsKeyCheck, WebhookDispatcher): 3700-3799.
    public const int MetricsScrapeRefused = 3700;
    public const int WebhookDelivered = 3710;
    public const int WebhookRetrying = 3711;
    public const int WebhookFailed = 3712;
    public const int WebhookDropped = 3713;
}
