using System.Diagnostics.CodeAnalysis;
using FlagKit.Evaluation;

namespace FlagKit.Compilation;

/// <summary>
/// The flags of a snapshot being assembled: the previous snapshot's map plus the changes made to it, read as one.
/// </summary>
/// <remarks>
/// A one-flag delta on 10 000 flags records one change and then builds the next map from the previous one
/// (<see cref="PagedTextMap{TValue}.With"/>): it copies the page table and the one page the flag is in, and shares
/// the others. A full build starts from the empty map and builds every page once.
/// </remarks>
internal sealed class FlagMapBuilder
{
    private readonly PagedTextMap<CompiledFlag> _base;
    private readonly Dictionary<string, CompiledFlag> _upserts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);

    public FlagMapBuilder(PagedTextMap<CompiledFlag>? previous = null)
    {
        _base = previous ?? PagedTextMap<CompiledFlag>.Empty;
    }

    public CompiledFlag this[string key]
    {
        set
        {
            // Keyed by the flag's own (interned) key, which the snapshot's map then holds: see CompiledFlag.Key.
            _removed.Remove(key);
            _upserts.Remove(key);
            _upserts.Add(value.Key, value);
        }
    }

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out CompiledFlag flag)
    {
        if (_upserts.TryGetValue(key, out flag))
        {
            return true;
        }

        if (!_removed.Contains(key) && _base.TryGetValue(key, out flag))
        {
            return true;
        }

        flag = null;
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

    /// <summary>The map of every flag, previous and changed.</summary>
    public PagedTextMap<CompiledFlag> Build() => _base.Count == 0 ? PagedTextMap<CompiledFlag>.Create(_upserts) : _base.With(_upserts, _removed);
}
