namespace FlagKit.Server.Releases;

/// <summary>Where a release stands.</summary>
internal enum ReleaseStatus
{
    /// <summary>Ramping: the current step is held and judged.</summary>
    Running,

    /// <summary>Stopped for a person to look: not enough data, or data that cannot be trusted; the step's share is kept.</summary>
    Paused,

    /// <summary>Harm was found: the treatment was rolled back (to 0 % or killed) and the release stopped.</summary>
    RolledBack,

    /// <summary>The treatment reached 100 %.</summary>
    Completed,

    /// <summary>An operator aborted it: the treatment went back to 0 % and the release stopped.</summary>
    Aborted,
}
