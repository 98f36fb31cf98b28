namespace FlagKit.Server.Store;

/// <summary>
/// A commit was refused because another write already stored an answer under its idempotency key (a concurrent
/// duplicate); nothing was stored, and <see cref="Stored"/> is the answer the retry must get.
/// </summary>
internal sealed class IdempotencyKeyTakenException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="stored">The answer stored first.</param>
    public IdempotencyKeyTakenException(string key, IdempotentAnswer stored)
        : base($"Idempotency key '{key}' already has a stored answer; the write was not applied again.")
    {
        Key = key;
        Stored = stored;
    }

    /// <summary>The idempotency key.</summary>
    public string Key { get; }

    /// <summary>The answer stored first.</summary>
    public IdempotentAnswer Stored { get; }
}
