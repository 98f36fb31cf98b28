using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FlagKit.Evaluation;

/// <summary>
/// An immutable map from text to a value, built once and read on the evaluation path: the flags of a snapshot, the
/// individual targets of a flag, the values of an <c>in</c> condition, the accounts of a segment.
/// </summary>
/// <remarks>
/// <para>
/// Shaped like <see cref="Dictionary{TKey,TValue}"/> (a power-of-two bucket array of chains into a dense entry array,
/// so it costs about the same memory) but hashed with <see cref="TextHash"/>, and it accepts a hash the caller
/// computed earlier: an <see cref="AttributeValue"/> carries the hash of its text, so looking it up costs a
/// few comparisons, not a hash of the text. Ordinal comparison; a reference-equal key skips the character compare.
/// </para>
/// <para>Immutable after construction, so any number of threads may read it without a lock.</para>
/// </remarks>
internal sealed class TextMap<TValue> : IReadOnlyDictionary<string, TValue>
{
    private readonly int[] _buckets;
    private readonly Entry[] _entries;
    private readonly int _mask;

    /// <summary>Builds the map. A key given twice keeps its first value.</summary>
    public TextMap(IEnumerable<KeyValuePair<string, TValue>> items)
    {
        var list = items as IReadOnlyCollection<KeyValuePair<string, TValue>> ?? [.. items];
        (_buckets, _mask, _entries) = Allocate(list.Count);
        var count = 0;
        foreach (var (key, value) in list)
        {
            Add(key, value, ref count);
        }

        _entries = Trim(_entries, count);
    }

    private TextMap(int capacity)
    {
        (_buckets, _mask, _entries) = Allocate(capacity);
    }

    /// <summary>A set: every key maps to <paramref name="value"/>.</summary>
    public static TextMap<TValue> Set(IReadOnlyCollection<string> keys, TValue value)
    {
        var map = new TextMap<TValue>(keys.Count);
        var count = 0;
        foreach (var key in keys)
        {
            map.Add(key, value, ref count);
        }

        return map.Trimmed(count);
    }

    private TextMap(int[] buckets, int mask, Entry[] entries)
    {
        _buckets = buckets;
        _mask = mask;
        _entries = entries;
    }

    private static (int[] Buckets, int Mask, Entry[] Entries) Allocate(int capacity)
    {
        var size = 1;
        while (size < capacity)
        {
            size <<= 1;
        }

        return (new int[size], size - 1, new Entry[capacity]);
    }

    private static Entry[] Trim(Entry[] entries, int count) => count == entries.Length ? entries : entries[..count];

    private TextMap<TValue> Trimmed(int count) => count == _entries.Length ? this : new(_buckets, _mask, Trim(_entries, count));

    // Only while building: the entries array is not yet shared.
    private void Add(string key, TValue value, ref int count)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = TextHash.Of(key);
        if (Find(_buckets, _mask, _entries, key, hash) >= 0)
        {
            return;
        }

        ref var bucket = ref _buckets[hash & _mask];
        _entries[count] = new Entry(key, value, hash, bucket - 1);
        bucket = ++count;
    }

    /// <summary>The map with no entries.</summary>
    public static TextMap<TValue> Empty { get; } = Set([], default!);

    public int Count => _entries.Length;

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public IEnumerable<TValue> Values => _entries.Select(e => e.Value);

    public TValue this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No entry '{key}'.");

    public bool ContainsKey(string key) => key is not null && Find(_buckets, _mask, _entries, key, TextHash.Of(key)) >= 0;

    /// <summary>Whether the map holds <paramref name="key"/>, whose <see cref="TextHash"/> the caller already has.</summary>
    public bool ContainsKey(string key, int hash) => Find(_buckets, _mask, _entries, key, hash) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TValue value)
    {
        if (key is not null)
        {
            return TryGetValue(key, TextHash.Of(key), out value);
        }

        value = default;
        return false;
    }

    /// <summary>Looks up <paramref name="key"/>, whose <see cref="TextHash"/> the caller already has.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(string key, int hash, [MaybeNullWhen(false)] out TValue value)
    {
        var entries = _entries;
        var i = _buckets[hash & _mask] - 1;
        while ((uint)i < (uint)entries.Length)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Hash == hash && string.Equals(entry.Key, key))
            {
                value = entry.Value;
                return true;
            }

            i = entry.Next;
        }

        value = default;
        return false;
    }

    public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator()
    {
        for (var i = 0; i < _entries.Length; i++)
        {
            yield return new KeyValuePair<string, TValue>(_entries[i].Key, _entries[i].Value);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static int Find(int[] buckets, int mask, Entry[] entries, string key, int hash)
    {
        var i = buckets[hash & mask] - 1;
        while ((uint)i < (uint)entries.Length)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Hash == hash && string.Equals(entry.Key, key))
            {
                return i;
            }

            i = entry.Next;
        }

        return -1;
    }

    private readonly struct Entry(string key, TValue value, int hash, int next)
    {
        public string Key { get; init; } = key;

        public TValue Value { get; init; } = value;

        public int Hash { get; init; } = hash;

        /// <summary>The next entry in the same bucket, or -1.</summary>
        public int Next { get; init; } = next;
    }
}
