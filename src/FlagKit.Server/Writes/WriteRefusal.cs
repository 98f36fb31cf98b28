namespace FlagKit.Server.Writes;

/// <summary>Why a write (or a read of the catalog) was refused; the admin service maps each to a gRPC status.</summary>
internal enum WriteRefusal
{
    /// <summary>The request is wrong (bad name, invalid document, bad option): INVALID_ARGUMENT.</summary>
    Invalid,

    /// <summary>What it names does not exist: NOT_FOUND.</summary>
    NotFound,

    /// <summary>What it creates exists already: ALREADY_EXISTS.</summary>
    AlreadyExists,

    /// <summary>The state is not what the request expects (stale revision, reused idempotency key): FAILED_PRECONDITION.</summary>
    Conflict,

    /// <summary>A configured limit would be exceeded: RESOURCE_EXHAUSTED.</summary>
    LimitExceeded,

    /// <summary>The store could not commit; nothing changed, a retry may succeed: UNAVAILABLE.</summary>
    Unavailable,
}
