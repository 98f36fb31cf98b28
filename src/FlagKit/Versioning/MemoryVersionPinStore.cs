using System.Collections.Concurrent;
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
/// Every operation completes synchronously, and reading a pin allocates nothing: each version flag has its own cache,
/// keyed by the pin key as given (no composite key is built per call). Pins are lost when the process ends: use a
/// durable store for rounds that must survive a restart. Expiry follows the <see cref="TimeProvider"/> given, so tests
/// can move time.
/// </remarks>
public sealed class MemoryVersionPinStore : IVersionPinStore, IDisposable
{
    private readonly ConcurrentDictionary<string, MemoryCache> _flags = new(StringComparer.Ordinal);
    private readonly Lock _creating = new();
    private readonly TimeSpan _expiry;
    private readonly bool _sliding;
    private readonly TimeProvider _timeProvider;
    private readonly long? _sizeLimit;
    private readonly object[] _stripes;

    /// <summary>Creates a store.</summary>
    /// <param name="expiry">How long a pin lives (after creation, or after its last read when <paramref name="sliding"/>).</param>
    /// <param name="sliding">Whether each read extends the pin's life.</param>
    /// <param name="timeProvider">The clock for expiry; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="sizeLimit">
    /// The most pins kept for each version flag; null for no limit. When a flag's pins are that many, adding one fails
    /// (the resolution then says <see cref="VersionSource.PinStoreFailed"/>) until expired pins make room.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="expiry"/> or <paramref name="sizeLimit"/> is not positive.</exception>
    public MemoryVersionPinStore(TimeSpan expiry, bool sliding = false, TimeProvider? timeProvider = null, long? sizeLimit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiry, TimeSpan.Zero);
        if (sizeLimit is { } limit)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, 0, nameof(sizeLimit));
        }

        _expiry = expiry;
        _sliding = sliding;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _sizeLimit = sizeLimit;
        _stripes = new object[64];
        for (var i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = new object();
        }
    }

    /// <summary>How many pins are held now, over all flags (expired ones may still count until the cache notices).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var (_, cache) in _flags)
            {
                count += cache.Count;
            }

            return count;
        }
    }

    /// <inheritdoc/>
    public ValueTask<VersionPin?> GetAsync(string flagKey, string pinKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flagKey);
        ArgumentNullException.ThrowIfNull(pinKey);
        return ValueTask.FromResult(_flags.TryGetValue(flagKey, out var cache) && cache.TryGetValue(pinKey, out VersionPin? pin) ? pin : null);
    }

    /// <inheritdoc/>
    public ValueTask<VersionPin> GetOrAddAsync(VersionPin candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var cache = CacheOf(candidate.FlagKey);
        lock (Stripe(candidate.FlagKey, candidate.PinKey))
        {
            if (cache.TryGetValue(candidate.PinKey, out VersionPin? existing) && existing is not null)
            {
                return ValueTask.FromResult(existing);
            }

            using (var entry = cache.CreateEntry(candidate.PinKey))
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

            if (!cache.TryGetValue(candidate.PinKey, out _))
            {
                throw new InvalidOperationException(
                    $"The version pin store is full ({cache.Count} pins of '{candidate.FlagKey}'); pin '{candidate.PinKey}' of '{candidate.FlagKey}' was not stored.");
            }

            return ValueTask.FromResult(candidate);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> RemoveAsync(string flagKey, string pinKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flagKey);
        ArgumentNullException.ThrowIfNull(pinKey);
        if (!_flags.TryGetValue(flagKey, out var cache))
        {
            return ValueTask.FromResult(false);
        }

        lock (Stripe(flagKey, pinKey))
        {
            var existed = cache.TryGetValue(pinKey, out _);
            cache.Remove(pinKey);
            return ValueTask.FromResult(existed);
        }
    }

    /// <summary>Releases the caches.</summary>
    public void Dispose()
    {
        foreach (var (_, cache) in _flags)
        {
            cache.Dispose();
        }
    }

    // One cache per version flag: few (only version flags are pinned), created on a flag's first pin and kept.
    private MemoryCache CacheOf(string flagKey)
    {
        if (_flags.TryGetValue(flagKey, out var cache))
        {
            return cache;
        }

        lock (_creating)
        {
            if (!_flags.TryGetValue(flagKey, out cache))
            {
#pragma warning disable CS0618 // MemoryCacheOptions.Clock takes ISystemClock in the lowest supported version.
                cache = new MemoryCache(new MemoryCacheOptions { Clock = new TimeProviderClock(_timeProvider), SizeLimit = _sizeLimit });
#pragma warning restore CS0618
                _flags[flagKey] = cache;
            }

            return cache;
        }
    }

    private object Stripe(string flagKey, string pinKey) =>
        _stripes[(int)((uint)HashCode.Combine(StringComparer.Ordinal.GetHashCode(flagKey), StringComparer.Ordinal.GetHashCode(pinKey)) % (uint)_stripes.Length)];

#pragma warning disable CS0618 // ISystemClock is what MemoryCacheOptions takes in Microsoft.Extensions.Caching.Memory 8.0.
    private sealed class TimeProviderClock(TimeProvider timeProvider) : ISystemClock
    {
        public DateTimeOffset UtcNow => timeProvider.GetUtcNow();
    }
#pragma warning restore CS0618
}
