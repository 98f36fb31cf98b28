namespace FlagKit.Diagnostics;

/// <summary>
/// Every log event of the FlagKit assembly, with its id, in one place: an id names one event and is never reused,
/// so a log query by id finds exactly that event. FlagKit's range is 1000-1999 (FlagKit.Extensions.Hosting has
/// 2000-2999): the client and the file source 1000-1099, the gRPC source 1100-1199, versioning 1200-1299, telemetry 1300-1399.
/// The event name is the constant's name (<c>EventName = nameof(...)</c>). A test checks that ids and names are unique.
/// </summary>
internal static class FlagKitLogEvents
{
    // FlagClient and FileFlagSource: 1000-1099.
    public const int StatusChanged = 1000;
    public const int SnapshotSwapped = 1001;
    public const int HandlerFailed = 1002;
    public const int StartTimedOut = 1003;
    public const int StartFailed = 1004;
    public const int FileRefused = 1005;
    public const int FileLoaded = 1006;
    public const int ModesChanged = 1050;

    // GrpcFlagSource: 1100-1199.
    public const int Connected = 1100;
    public const int Reconnecting = 1101;
    public const int DocumentRejected = 1102;
    public const int ResyncRequested = 1103;
    public const int ProtocolViolation = 1104;
    public const int CacheIgnored = 1105;
    public const int ServingCache = 1106;
    public const int CacheWriteFailed = 1107;
    public const int LoopCrashed = 1108;
    public const int ChannelRenewed = 1109;
    public const int MovedServer = 1150;
    public const int ModesRefused = 1151;

    // Versioning (ContractPolicy, Migration): 1200-1299.
    public const int PolicyNotARange = 1200;
    public const int MigrationStageInvalid = 1201;
    public const int MigrationReadFailed = 1202;
    public const int MigrationWriteFailed = 1203;
    public const int MigrationComparerThrew = 1204;
    public const int MigrationMismatch = 1205;
    public const int MigrationCallbackThrew = 1206;

    // Telemetry (exposures, outcomes, summaries sent to the server): 1300-1399.
    public const int TelemetryIntervalFailed = 1300;
    public const int TelemetrySendFailed = 1301;
}
