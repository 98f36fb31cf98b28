namespace FlagKit.Server.Store;

/// <summary>The store's idempotent answers (a retried write answers as the first did), unique per environment and key.</summary>
internal interface IIdempotencyStore
{
    /// <summary>Stores the answer of a write that changed nothing (so a retry answers the same); a key already stored keeps its first answer.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="key">The idempotency key.</param>
    /// <param name="answer">The answer.</param>
    /// <param name="now">When.</param>
    void StoreIdempotent(long environmentId, string key, IdempotentAnswer answer, DateTimeOffset now);

    /// <summary>The stored answer for an idempotency key, if it is still kept.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="key">The idempotency key.</param>
    /// <returns>The answer, or null.</returns>
    IdempotentAnswer? FindIdempotent(long environmentId, string key);
}
