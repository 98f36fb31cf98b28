namespace FlagKit.Server.Releases;

/// <summary>Why a release paused.</summary>
internal enum PauseReason
{
    /// <summary>Not paused.</summary>
    None,

    /// <summary>The step did not reach its minimum sample per variant within its longest hold: no verdict, never a pass.</summary>
    Inconclusive,

    /// <summary>A variant that had reported stopped reporting: its figures (and so the comparison) cannot be trusted.</summary>
    ReportsStopped,

    /// <summary>The variants' share of exposures departs from the configured split (sample ratio mismatch).</summary>
    SampleRatioMismatch,

    /// <summary>An operator paused it (PauseRelease).</summary>
    Operator,

    /// <summary>Someone else changed the flag (an edit, kill, rollout or rollback not made by the release): a human always wins.</summary>
    FlagChanged,

    /// <summary>The release could not write its flag (the flag was archived, or the write was refused).</summary>
    WriteFailed,
}
