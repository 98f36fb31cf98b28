namespace FlagKit.Versioning;

/// <summary>
/// Where version pins live. The default (<see cref="MemoryVersionPinStore"/>) keeps them in this process; implement
/// this interface over a database or a distributed cache for rounds that outlive a process.
/// </summary>
/// <remarks>
/// <para>
/// Implementations must be thread-safe, and <see cref="GetOrAddAsync"/> must be atomic per (flag, pin key): when
/// several callers add at once, every one of them gets the same pin back (the first stored). With SQL that is an
/// <c>INSERT ... ON CONFLICT DO NOTHING</c> followed by a <c>SELECT</c>; with Redis a <c>SET NX</c> then <c>GET</c>.
/// </para>
/// <para>An exception from the store does not escape <see cref="FlagClient.GetVersion"/>: the result then says
/// <see cref="VersionSource.PinStoreFailed"/>.</para>
/// </remarks>
public interface IVersionPinStore
{
    /// <summary>The pin stored for (<paramref name="flagKey"/>, <paramref name="pinKey"/>), or null.</summary>
    /// <param name="flagKey">The version flag's key.</param>
    /// <param name="pinKey">The pin key.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The pin, or null.</returns>
    ValueTask<VersionPin?> GetAsync(string flagKey, string pinKey, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="candidate"/> unless a pin exists for its flag and pin key, and returns the pin that is
    /// stored now: the <paramref name="candidate"/> instance itself when it was stored (the client tells a new pin
    /// from an existing one by reference), else the existing pin. Atomic per key.
    /// </summary>
    /// <param name="candidate">The pin to store if there is none.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored pin.</returns>
    ValueTask<VersionPin> GetOrAddAsync(VersionPin candidate, CancellationToken cancellationToken);

    /// <summary>Removes a pin (for example when a round settles), so the key resolves afresh next time.</summary>
    /// <param name="flagKey">The version flag's key.</param>
    /// <param name="pinKey">The pin key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether a pin was removed.</returns>
    ValueTask<bool> RemoveAsync(string flagKey, string pinKey, CancellationToken cancellationToken);
}
