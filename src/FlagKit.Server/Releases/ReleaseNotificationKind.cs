namespace FlagKit.Server.Releases;

/// <summary>What happened to a release, as its notifiers are told.</summary>
internal enum ReleaseNotificationKind
{
    /// <summary>The treatment moved to the next step (by the release, or promoted by an operator).</summary>
    StepAdvanced,

    /// <summary>The release paused (inconclusive, untrusted data, an operator, someone else's change to the flag).</summary>
    Paused,

    /// <summary>The treatment was rolled back (harm found, or an operator aborted the release).</summary>
    RolledBack,

    /// <summary>The treatment reached 100 %.</summary>
    Completed,
}
