namespace FlagKit.Server.Replication;

/// <summary>
/// The log events of replication (several replicas on one PostgreSQL database): ids 3800-3849, in the server's range
/// (see <c>ServerLogEvents</c>; <c>ServerLogEventIdTests</c> checks every id of the assembly is unique).
/// </summary>
internal static partial class ReplicationLog
{
    /// <summary>Event id of <see cref="CaughtUp"/>.</summary>
    public const int CaughtUpId = 3800;

    /// <summary>Event id of <see cref="ListenerConnected"/>.</summary>
    public const int ListenerConnectedId = 3801;

    /// <summary>Event id of <see cref="ListenerLost"/>.</summary>
    public const int ListenerLostId = 3802;

    /// <summary>Event id of <see cref="CatchUpFailed"/>.</summary>
    public const int CatchUpFailedId = 3803;

    /// <summary>Event id of <see cref="NotificationQueueFilling"/>.</summary>
    public const int NotificationQueueFillingId = 3804;

    /// <summary>Event id of <see cref="KeysLearnt"/>.</summary>
    public const int KeysLearntId = 3805;

    /// <summary>Event id of <see cref="EnvironmentsLearnt"/>.</summary>
    public const int EnvironmentsLearntId = 3806;

    /// <summary>Event id of <see cref="ReportRelayFailed"/>.</summary>
    public const int ReportRelayFailedId = 3807;

    /// <summary>Event id of <see cref="ReportsDropped"/>.</summary>
    public const int ReportsDroppedId = 3808;

    /// <summary>Event id of <see cref="ReportBatchUnreadable"/>.</summary>
    public const int ReportBatchUnreadableId = 3809;

    /// <summary>Event id of <see cref="ModesLearnt"/>.</summary>
    public const int ModesLearntId = 3810;

    /// <summary>Event id of <see cref="ChangeLogSeeded"/>.</summary>
    public const int ChangeLogSeededId = 3811;

    /// <summary>Event id of <see cref="InstancesUnavailable"/>.</summary>
    public const int InstancesUnavailableId = 3812;

    /// <summary>An environment caught up with commits made on other replicas.</summary>
    [LoggerMessage(CaughtUpId, LogLevel.Debug, "'{Environment}' caught up from revision {From} to {To} ({Documents} documents) with other replicas' commits", EventName = "ReplicaCaughtUp")]
    public static partial void CaughtUp(ILogger logger, string environment, long from, long to, int documents);

    /// <summary>The listener is connected and listening.</summary>
    [LoggerMessage(ListenerConnectedId, LogLevel.Information, "Replica listener connected to {Location}; catching up every environment", EventName = "ReplicaListenerConnected")]
    public static partial void ListenerConnected(ILogger logger, string location);

    /// <summary>The listener's connection failed; it reconnects.</summary>
    [LoggerMessage(ListenerLostId, LogLevel.Warning, "Replica listener lost its connection ({Problem}); reconnecting in {Delay}, polling meanwhile", EventName = "ReplicaListenerLost")]
    public static partial void ListenerLost(ILogger logger, string problem, TimeSpan delay);

    /// <summary>A catch-up could not read the store.</summary>
    [LoggerMessage(CatchUpFailedId, LogLevel.Warning, "Replica catch-up failed ({Problem}); retrying at the next poll. SDK streams keep serving the last state", EventName = "ReplicaCatchUpFailed")]
    public static partial void CatchUpFailed(ILogger logger, string problem);

    /// <summary>PostgreSQL's notification queue is filling (a session is keeping a transaction open while listening).</summary>
    [LoggerMessage(NotificationQueueFillingId, LogLevel.Warning, "PostgreSQL's notification queue is {Percent:F0}% full: a listening session keeps a transaction open. Replicas fall back to polling when it is full", EventName = "ReplicaNotificationQueueFilling")]
    public static partial void NotificationQueueFilling(ILogger logger, double percent);

    /// <summary>API keys created or revoked on another replica were learnt.</summary>
    [LoggerMessage(KeysLearntId, LogLevel.Information, "API keys changed on another replica: {Revoked} revoked here, {Streams} streams ended", EventName = "ReplicaKeysLearnt")]
    public static partial void KeysLearnt(ILogger logger, int revoked, int streams);

    /// <summary>Environments created on another replica were learnt.</summary>
    [LoggerMessage(EnvironmentsLearntId, LogLevel.Information, "{Count} environments created on another replica were loaded", EventName = "ReplicaEnvironmentsLearnt")]
    public static partial void EnvironmentsLearnt(ILogger logger, int count);

    /// <summary>The report relay could not read or write the store; what waits is tried again.</summary>
    [LoggerMessage(ReportRelayFailedId, LogLevel.Warning, "Release report relay: {Operation} failed ({Problem}); retrying. Reports wait on this replica meanwhile (bounded)", EventName = "ReportRelayFailed")]
    public static partial void ReportRelayFailed(ILogger logger, string operation, string problem);

    /// <summary>Reports were dropped at a bound.</summary>
    [LoggerMessage(ReportsDroppedId, LogLevel.Warning, "Release report relay dropped {Count} reports of flag '{Flag}': {Reason}", EventName = "ReportsDropped")]
    public static partial void ReportsDropped(ILogger logger, int count, string flag, string reason);

    /// <summary>A stored report batch could not be read (written by a newer or broken server); it is not counted.</summary>
    [LoggerMessage(ReportBatchUnreadableId, LogLevel.Warning, "Release report batch {Id} could not be read and is not counted: {Problem}", EventName = "ReportBatchUnreadable")]
    public static partial void ReportBatchUnreadable(ILogger logger, Guid id, string problem);

    /// <summary>Operating modes changed on another replica were loaded and sent to this replica's SDKs.</summary>
    [LoggerMessage(ModesLearntId, LogLevel.Information, "The modes of '{Environment}' changed on another replica: version {Version} loaded", EventName = "ReplicaModesLearnt")]
    public static partial void ModesLearnt(ILogger logger, string environment, long version);

    /// <summary>An environment's change log was filled from the store at load, so SDKs resuming from a recent revision get a delta.</summary>
    [LoggerMessage(ChangeLogSeededId, LogLevel.Debug, "'{Environment}' change log filled from the store: resumes from revision {From} to {To} get a delta ({Documents} documents)", EventName = "ChangeLogSeeded")]
    public static partial void ChangeLogSeeded(ILogger logger, string environment, long from, long to, int documents);

    /// <summary>The fleet's SDK instance lists could not be written or read; ListInstances answers this replica's own meanwhile.</summary>
    [LoggerMessage(InstancesUnavailableId, LogLevel.Warning, "Fleet SDK instances: {Operation} failed ({Problem}); ListInstances answers with this replica's instances meanwhile", EventName = "FleetInstancesUnavailable")]
    public static partial void InstancesUnavailable(ILogger logger, string operation, string problem);
}
