namespace FlagKit.Server.Store;

/// <summary>A release was refused because its flag already has an active (running or paused) release in that environment.</summary>
internal sealed class ReleaseAlreadyActiveException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="flag">The flag.</param>
    /// <param name="activeId">The active release's id (0 when unknown).</param>
    public ReleaseAlreadyActiveException(string flag, long activeId)
        : base($"Flag '{flag}' already has an active release ({activeId}) in this environment: abort it or let it end first.")
    {
        Flag = flag;
        ActiveId = activeId;
    }

    /// <summary>The flag.</summary>
    public string Flag { get; }

    /// <summary>The active release's id.</summary>
    public long ActiveId { get; }
}
