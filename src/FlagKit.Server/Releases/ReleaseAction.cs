namespace FlagKit.Server.Releases;

/// <summary>What the release does after an evaluation.</summary>
internal enum ReleaseAction
{
    /// <summary>Nothing: the release is not running.</summary>
    None,

    /// <summary>Stay on the current step.</summary>
    Hold,

    /// <summary>Move the treatment to the next step's share.</summary>
    Advance,

    /// <summary>Roll the treatment back (to 0 % or kill, per the plan) and stop.</summary>
    RollBack,

    /// <summary>Stop on the current step for a person (inconclusive, or untrustworthy data).</summary>
    Pause,

    /// <summary>The treatment is at 100 %: the release is done.</summary>
    Complete,
}
