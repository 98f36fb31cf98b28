using System.Diagnostics.CodeAnalysis;
using FlagKit.Evaluation;

namespace FlagKit.Compilation;

/// <summary>
/// The flags (or segments) of a snapshot being assembled: the previous snapshot's map plus the changes made to it,
/// read as one.
/// </summary>
/// <remarks>
/// A one-flag delta on 10 000 flags records one change and then builds the next map from the previous one
/// (<see cref="PagedTextMap{TValue}.With"/>): it copies the page table and the one page the flag is in, and shares
/// the others. A full build starts from the empty map and builds every page once.
/// </remarks>
internal sealed class PagedMapBuilder<TValue>
    where TValue : class
{
    private readonly PagedTextMap<TValue> _base;
    private readonly Dictionary<string, TValue> _upserts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);

    public PagedMapBuilder(PagedTextMap<TValue>? previous = null)
    {
        _base = previous ?? PagedTextMap<TValue>.Empty;
    }

    /// <summary>Every value, previous and changed, in no particular order.</summary>
    public IEnumerable<TValue> Values =>
        _base.Where(e => !_removed.Contains(e.Key) && !_upserts.ContainsKey(e.Key)).Select(e => e.Value).Concat(_upserts.Values);

    /// <summary>
    /// Adds or replaces <paramref name="key"/>. Pass the value's own (interned) key, which the snapshot's map then
    /// holds: see <c>CompiledFlag.Key</c>.
    /// </summary>
    public void Set(string key, TValue value)
    {
        _removed.Remove(key);
        _upserts.Remove(key);
        _upserts.Add(key, value);
    }

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_upserts.TryGetValue(key, out value))
        {
            return true;
        }

        if (!_removed.Contains(key) && _base.TryGetValue(key, out value))
        {
            return true;
        }

        value = null;
        return false;
    }

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <summary>Makes room for this many changes.</summary>
    public void Reserve(int count) => _upserts.EnsureCapacity(count);

    public void Remove(string key)
    {
        _upserts.Remove(key);
        if (_base.ContainsKey(key))
        {
            _removed.Add(key);
        }
    }

    /// <summary>The map of every value, previous and changed.</summary>
    public PagedTextMap<TValue> Build() => _base.Count == 0 ? PagedTextMap<TValue>.Create(_upserts) : _base.With(_upserts, _removed);
}
