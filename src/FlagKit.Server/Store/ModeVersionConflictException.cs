namespace FlagKit.Server.Store;

/// <summary>A mode change computed against a version that is no longer current; nothing was stored.</summary>
internal sealed class ModeVersionConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="expected">The version the change expected.</param>
    public ModeVersionConflictException(long environmentId, long expected)
        : base($"The modes of environment {environmentId} are no longer at version {expected}.")
    {
    }

    /// <summary>Creates the exception (for the analyzers' standard constructors).</summary>
    public ModeVersionConflictException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public ModeVersionConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ModeVersionConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
