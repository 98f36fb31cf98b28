namespace FlagKit.Server.Sync;

/// <summary>Why a subscriber's stream ends.</summary>
internal enum SubscriberEnd
{
    /// <summary>Still running.</summary>
    None,

    /// <summary>The SDK closed its side or the connection dropped.</summary>
    ClientGone,

    /// <summary>It fell behind its bounded queue: it is told to resync.</summary>
    Resync,

    /// <summary>The server is shutting down: it is told the server is going away.</summary>
    GoingAway,

    /// <summary>Its API key was revoked.</summary>
    Revoked,

    /// <summary>The SDK sent a message that is refused (over a bound, undecodable): the stream ends with INVALID_ARGUMENT.</summary>
    Refused,
}
