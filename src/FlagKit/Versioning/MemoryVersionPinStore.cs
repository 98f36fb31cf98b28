using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;

namespace FlagKit.Versioning;

/// <summary>
/// The default <see cref="IVersionPinStore"/>: pins in this process's memory
/// (<see cref="Microsoft.Extensions.Caching.Memory.MemoryCache"/>), each expiring a fixed time after it was created
/// (or after it was last read, when sliding).
/// </summary>
/// <remarks>
/// Thread-safe; <see cref="GetOrAddAsync"/> is atomic per key (striped locks), so concurrent first resolutions agree.
/// Every operation completes synchronously. Pins are lost when the process ends: use a durable store for rounds
/// that must survive a restart. Expiry follows the <see cref="TimeProvider"/> given, so tests can move time.
/// </remarks>
public sealed class MemoryVersionPinStore : IVersionPinStore, IDisposable
{
    private readonly MemoryCache _cache;
    private readonly TimeSpan _expiry;
    private readonly bool _sliding;
    private readonly object[] _stripes;

    /// <summary>Creates a store.</summary>
    /// <param name="expiry">How long a pin lives (after creation, or after its last read when <paramref name="sliding"/>).</param>
    /// <param name="sliding">Whether each read extends the pin's life.</param>
    /// <param name="timeProvider">The clock for expiry; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="sizeLimit">
    /// The most pins kept; null for no limit. When full, adding a pin fails (the resolution then says
    /// <see cref="VersionSource.PinStoreFailed"/>) until expired pins make room.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="expiry"/> is not positive.</exception>
    public MemoryVersionPinStore(TimeSpan expiry, bool sliding = false, TimeProvider? timeProvider = null, long? sizeLimit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiry, TimeSpan.Zero);
        _expiry = expiry;
        _sliding = sliding;
#pragma warning disable CS0618 // MemoryCacheOptions.Clock takes ISystemClock in the lowest supported version.
        _cache = new MemoryCache(new MemoryCacheOptions
        {
            Clock = new TimeProviderClock(timeProvider ?? TimeProvider.System),
            SizeLimit = sizeLimit,
        });
#pragma warning restore CS0618
        _stripes = new object[64];
        for (var i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = new object();
        }
    }

    /// <summary>How many pins are held now (expired ones may still count until the cache notices).</summary>
    public int Count => _cache.Count;

    /// <inheritdoc/>
    public ValueTask<VersionPin?> GetAsync(string flagKey, string pinKey, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_cache.TryGetValue(Key(flagKey, pinKey), out VersionPin? pin) ? pin : null);

    /// <inheritdoc/>
    public ValueTask<VersionPin> GetOrAddAsync(VersionPin candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var key = Key(candidate.FlagKey, candidate.PinKey);
        lock (_stripes[(int)((uint)key.GetHashCode() % (uint)_stripes.Length)])
        {
            if (_cache.TryGetValue(key, out VersionPin? existing) && existing is not null)
            {
                return ValueTask.FromResult(existing);
            }

            using (var entry = _cache.CreateEntry(key))
            {
                entry.Value = candidate;
                entry.Size = 1;
                if (_sliding)
                {
                    entry.SlidingExpiration = _expiry;
                }
                else
                {
                    entry.AbsoluteExpirationRelativeToNow = _expiry;
                }
            }

            if (!_cache.TryGetValue(key, out _))
            {
                throw new InvalidOperationException($"The version pin store is full ({_cache.Count} pins); pin '{candidate.PinKey}' of '{candidate.FlagKey}' was not stored.");
            }

            return ValueTask.FromResult(candidate);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> RemoveAsync(string flagKey, string pinKey, CancellationToken cancellationToken)
    {
        var key = Key(flagKey, pinKey);
        lock (_stripes[(int)((uint)key.GetHashCode() % (uint)_stripes.Length)])
        {
            var existed = _cache.TryGetValue(key, out _);
            _cache.Remove(key);
            return ValueTask.FromResult(existed);
        }
    }

    /// <summary>Releases the cache.</summary>
    public void Dispose() => _cache.Dispose();

    // A separator that cannot occur in a flag key (letters, digits, '.', '_' and '-').
    private static string Key(string flagKey, string pinKey) => string.Concat(flagKey, "\n", pinKey);

#pragma warning disable CS0618 // ISystemClock is what MemoryCacheOptions takes in Microsoft.Extensions.Caching.Memory 8.0.
    private sealed class TimeProviderClock(TimeProvider timeProvider) : ISystemClock
    {
        public DateTimeOffset UtcNow => timeProvider.GetUtcNow();
    }
#pragma warning restore CS0618
}
