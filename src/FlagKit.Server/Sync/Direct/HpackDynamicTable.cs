namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// The HPACK dynamic table of one connection's decoder (RFC 7541 section 2.3.2 and 4): newest entry first, evicted
/// oldest first by size (name + value + 32 bytes). Each entry is one array holding name then value; the ring of
/// entries grows on demand, so an idle connection that never indexed a field holds no entries at all. An evicted
/// entry's array is only dropped, never reused, so a name taken from it stays valid while the entry that replaces it
/// is added (RFC 7541 section 4.4).
/// </summary>
internal sealed class HpackDynamicTable
{
    /// <summary>Bytes an entry costs beyond its name and value (RFC 7541 section 4.1).</summary>
    public const int EntryOverhead = 32;

    private byte[][] _data = [];
    private int[] _nameLengths = [];
    private int _newest = -1;

    /// <summary>Creates an empty table.</summary>
    /// <param name="maxSize">Its initial maximum size in bytes.</param>
    public HpackDynamicTable(int maxSize) => MaxSize = maxSize;

    /// <summary>Entries held.</summary>
    public int Count { get; private set; }

    /// <summary>Size of the entries held, in bytes (RFC 7541 section 4.1).</summary>
    public int Size { get; private set; }

    /// <summary>The maximum size, as last set by a dynamic table size update.</summary>
    public int MaxSize { get; private set; }

    /// <summary>The name of an entry.</summary>
    /// <param name="index">1 (newest) to <see cref="Count"/>.</param>
    /// <returns>The name's bytes.</returns>
    public ReadOnlySpan<byte> Name(int index)
    {
        var slot = Slot(index);
        return _data[slot].AsSpan(0, _nameLengths[slot]);
    }

    /// <summary>The value of an entry.</summary>
    /// <param name="index">1 (newest) to <see cref="Count"/>.</param>
    /// <returns>The value's bytes.</returns>
    public ReadOnlySpan<byte> Value(int index)
    {
        var slot = Slot(index);
        return _data[slot].AsSpan(_nameLengths[slot]);
    }

    /// <summary>Sets the maximum size, evicting the oldest entries until the table fits.</summary>
    /// <param name="maxSize">The new maximum, in bytes.</param>
    public void SetMaxSize(int maxSize)
    {
        MaxSize = maxSize;
        EvictUntilFits(0);
    }

    /// <summary>
    /// Adds an entry as the newest, first evicting the oldest ones until it fits. An entry larger than the maximum
    /// empties the table and is not added (RFC 7541 section 4.4).
    /// </summary>
    /// <param name="name">The name (may point into an entry this evicts).</param>
    /// <param name="value">The value.</param>
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var size = name.Length + value.Length + EntryOverhead;
        if (size > MaxSize)
        {
            EvictUntilFits(MaxSize + 1);
            return;
        }

        var data = new byte[name.Length + value.Length];
        name.CopyTo(data);
        value.CopyTo(data.AsSpan(name.Length));
        EvictUntilFits(size);
        if (Count == _data.Length)
        {
            Grow();
        }

        _newest = (_newest + 1) % _data.Length;
        _data[_newest] = data;
        _nameLengths[_newest] = name.Length;
        Count++;
        Size += size;
    }

    private int Slot(int index) => (_newest - (index - 1) + _data.Length) % _data.Length;

    private void EvictUntilFits(int incoming)
    {
        while (Count > 0 && Size + incoming > MaxSize)
        {
            var oldest = Slot(Count);
            Size -= _data[oldest].Length + EntryOverhead;
            _data[oldest] = null!;
            Count--;
        }
    }

    private void Grow()
    {
        var capacity = Math.Max(4, _data.Length * 2);
        var data = new byte[capacity][];
        var nameLengths = new int[capacity];
        for (var i = 0; i < Count; i++)
        {
            var slot = Slot(Count - i);
            data[i] = _data[slot];
            nameLengths[i] = _nameLengths[slot];
        }

        _data = data;
        _nameLengths = nameLengths;
        _newest = Count - 1;
    }
}
