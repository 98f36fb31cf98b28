namespace FlagKit.Versioning;

/// <summary>How <see cref="FlagClient.GetVersion"/> arrived at its version.</summary>
public enum VersionSource
{
    /// <summary>Evaluated from the flag now (no pin key given).</summary>
    Evaluated,

    /// <summary>Evaluated from the flag now and pinned under the pin key (the first resolution for that key).</summary>
    PinCreated,

    /// <summary>Taken from the pin of an earlier resolution, whatever the flag says now.</summary>
    Pinned,

    /// <summary>The flag is killed: its off variant, whatever the pin says. The pin is kept; reviving the flag resumes it.</summary>
    Killed,

    /// <summary>A recorded version replayed as is (<see cref="FlagClient.GetVersionForReplay"/>): neither flag nor pin was read.</summary>
    Replay,

    /// <summary>The caller's default: the flag is missing, not a version flag, or failed (see <see cref="VersionResolution.EvaluationReason"/>).</summary>
    Default,

    /// <summary>
    /// The pin store failed (see <see cref="VersionResolution.Error"/>): the flag's current version is returned, not pinned.
    /// </summary>
    PinStoreFailed,
}
