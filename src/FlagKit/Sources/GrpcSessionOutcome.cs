namespace FlagKit.Sources;

/// <summary>How one sync stream ended, which decides the wait before the next and the status.</summary>
/// <param name="Kind">The kind of ending.</param>
/// <param name="Message">What happened, for the status reason and the log.</param>
internal readonly record struct GrpcSessionOutcome(GrpcSessionOutcomeKind Kind, string Message)
{
    /// <summary>True when the server ended the stream on purpose (going away, closed) rather than it breaking.</summary>
    public bool IsClean => Kind is GrpcSessionOutcomeKind.Ended or GrpcSessionOutcomeKind.Resync;

    /// <summary>The server ended the stream on purpose; reconnect with backoff.</summary>
    public static GrpcSessionOutcome Ended(string message) => new(GrpcSessionOutcomeKind.Ended, message);

    /// <summary>The server asked for a full resync; reconnect soon with no revision.</summary>
    public static GrpcSessionOutcome Resync(string message) => new(GrpcSessionOutcomeKind.Resync, message);

    /// <summary>The stream broke or never came up; reconnect with backoff.</summary>
    public static GrpcSessionOutcome Broken(string message) => new(GrpcSessionOutcomeKind.Broken, message);

    /// <summary>The server refused us in a way that will not heal by retrying fast.</summary>
    public static GrpcSessionOutcome Refused(string message) => new(GrpcSessionOutcomeKind.Refused, message);

    /// <summary>A one-line description.</summary>
    /// <returns>The message.</returns>
    public string Describe() => Message;
}

/// <summary>The kinds of <see cref="GrpcSessionOutcome"/>.</summary>
internal enum GrpcSessionOutcomeKind
{
    /// <summary>Closed or going away on purpose.</summary>
    Ended,

    /// <summary>Resync requested.</summary>
    Resync,

    /// <summary>Broken: transport error, heartbeat timeout, protocol violation.</summary>
    Broken,

    /// <summary>Refused: UNAUTHENTICATED, PERMISSION_DENIED, no common version.</summary>
    Refused,
}
