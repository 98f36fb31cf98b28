namespace FlagKit.Server.Writes;

/// <summary>
/// A write or catalog read refused by the domain, with a message naming what and where. Transport-free: the admin
/// service's <see cref="Admin.WriteRefusalInterceptor"/> turns it into a gRPC status at the edge.
/// </summary>
internal sealed class WriteRefusedException : Exception
{
    /// <summary>Creates the refusal.</summary>
    /// <param name="refusal">Why.</param>
    /// <param name="message">What and where, for the caller.</param>
    public WriteRefusedException(WriteRefusal refusal, string message)
        : base(message) => Refusal = refusal;

    /// <summary>Creates the refusal (for the analyzers' standard constructors).</summary>
    public WriteRefusedException()
        : this(WriteRefusal.Invalid, "The write was refused.")
    {
    }

    /// <summary>Creates the refusal.</summary>
    /// <param name="message">What and where.</param>
    public WriteRefusedException(string message)
        : this(WriteRefusal.Invalid, message)
    {
    }

    /// <summary>Creates the refusal.</summary>
    /// <param name="message">What and where.</param>
    /// <param name="innerException">The cause.</param>
    public WriteRefusedException(string message, Exception innerException)
        : base(message, innerException) => Refusal = WriteRefusal.Invalid;

    /// <summary>Why it was refused.</summary>
    public WriteRefusal Refusal { get; }

    /// <summary>INVALID_ARGUMENT.</summary>
    /// <param name="message">What and where.</param>
    /// <returns>The exception.</returns>
    public static WriteRefusedException Invalid(string message) => new(WriteRefusal.Invalid, message);

    /// <summary>NOT_FOUND.</summary>
    /// <param name="message">What.</param>
    /// <returns>The exception.</returns>
    public static WriteRefusedException NotFound(string message) => new(WriteRefusal.NotFound, message);

    /// <summary>FAILED_PRECONDITION.</summary>
    /// <param name="message">What.</param>
    /// <returns>The exception.</returns>
    public static WriteRefusedException Conflict(string message) => new(WriteRefusal.Conflict, message);

    /// <summary>RESOURCE_EXHAUSTED.</summary>
    /// <param name="message">Which limit, and its setting.</param>
    /// <returns>The exception.</returns>
    public static WriteRefusedException LimitExceeded(string message) => new(WriteRefusal.LimitExceeded, message);
}
