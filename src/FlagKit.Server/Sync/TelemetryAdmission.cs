namespace FlagKit.Server.Sync;

/// <summary>What a stream's <see cref="TelemetryRateLimit"/> says of one more summary.</summary>
internal enum TelemetryAdmission
{
    /// <summary>Within the limit: read it.</summary>
    Admitted,

    /// <summary>Over the limit: drop it unread.</summary>
    Dropped,

    /// <summary>Over the limit, and the stream has kept going over it: drop it and end the stream.</summary>
    Exceeded,
}
