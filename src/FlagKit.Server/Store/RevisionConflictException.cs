namespace FlagKit.Server.Store;

/// <summary>A commit was refused because the environment's revision moved since the write was computed; nothing was stored.</summary>
internal sealed class RevisionConflictException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="expected">The revision the write expected.</param>
    public RevisionConflictException(long environmentId, long expected)
        : base($"Environment {environmentId} is no longer at revision {expected}.")
    {
        EnvironmentId = environmentId;
        ExpectedRevision = expected;
    }

    /// <summary>The environment row.</summary>
    public long EnvironmentId { get; }

    /// <summary>The revision the write expected.</summary>
    public long ExpectedRevision { get; }
}
