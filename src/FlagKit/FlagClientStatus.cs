namespace FlagKit;

/// <summary>How current the flags a <see cref="FlagClient"/> serves are.</summary>
public enum FlagClientStatus
{
    /// <summary>No snapshot has arrived yet: every evaluation serves the caller's default (FLAG_NOT_FOUND).</summary>
    Starting,

    /// <summary>Serving the source's current snapshot.</summary>
    Ready,

    /// <summary>Serving the last good snapshot while the source cannot deliver a newer one (disconnected, or a bad edit).</summary>
    Stale,

    /// <summary>The source has failed and has nothing to serve beyond what it had (possibly nothing).</summary>
    Failed,
}
