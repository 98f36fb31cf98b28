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
}
