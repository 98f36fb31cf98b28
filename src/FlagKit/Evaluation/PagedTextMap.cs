using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FlagKit.Evaluation;

/// <summary>
/// An immutable map from text to a value whose changed copy costs the change, not the map: the flags (and segments)
/// of a snapshot. A one-flag delta on 10 000 flags copies the page table (256 references) and the one page the flag
/// is in (about 40 entries), and shares every other page with the previous snapshot.
/// </summary>
/// <remarks>
/// <para>
/// The map is a table of pages; a key's page is chosen by the high bits of its <see cref="TextHash"/> (multiply and
/// shift, no division), and each page is a small open-addressing hash table (a power-of-two array of entries, linear
/// probing, at most three quarters full) probed from the low bits. A lookup loads as many arrays as
/// <see cref="TextMap{TValue}"/>'s (the page table and the page, where TextMap loads its buckets and its entries), and
/// the probe usually ends at the first slot.
/// </para>
/// <para>
/// The page count is a power of two chosen for about <see cref="EntriesPerPage"/> entries a page. Deltas keep it;
/// when the count drifts far from it (the map grew or shrank fourfold), the next change rebuilds every page.
/// </para>
/// <para>Immutable after construction, so any number of threads may read it without a lock.</para>
/// </remarks>
internal sealed class PagedTextMap<TValue> : IReadOnlyDictionary<string, TValue>
{
    /// <summary>The average page size aimed at: a page copy is then about 1.5 KB (64 slots of 24 bytes).</summary>
    internal const int EntriesPerPage = 64;

    private static readonly Entry[] EmptyPage = new Entry[1];

    // Each page: a power-of-two array of slots (a slot with a null key is free) beside its mask, so a lookup reads
    // the slots' reference and the mask in one load rather than loading the page's length after the page. Never
    // written once published.
    private readonly Page[] _pages;
    private readonly int _count;

    // 32 − log2(page count): a hash's page is its high bits, (ulong)(uint)hash >> _pageShift (the same page as
    // PageOf's multiply-shift, the count being a power of two; a ulong shift, so one page shifts by 32 and yields 0).
    // Kept in a field so a lookup need not load the table's length before the page.
    private readonly int _pageShift;

    private PagedTextMap(Page[] pages, int count)
    {
        _pages = pages;
        _count = count;
        _pageShift = 32 - System.Numerics.BitOperations.Log2((uint)pages.Length);
    }

    /// <summary>The map with no entries.</summary>
    public static PagedTextMap<TValue> Empty { get; } = new([new Page(EmptyPage)], 0);

    public int Count => _count;

    /// <summary>The number of pages (for tests and benchmarks).</summary>
    internal int PageCount => _pages.Length;

    public IEnumerable<string> Keys => this.Select(e => e.Key);

    public IEnumerable<TValue> Values => this.Select(e => e.Value);

    public TValue this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No entry '{key}'.");

    /// <summary>Builds the map. A key given twice keeps its first value.</summary>
    public static PagedTextMap<TValue> Create(IEnumerable<KeyValuePair<string, TValue>> items)
    {
        var list = items as IReadOnlyCollection<KeyValuePair<string, TValue>> ?? [.. items];
        var pageCount = PageCountFor(list.Count);

        // Two passes, no per-page list: hash each key once and count each page's entries, then lay every page out
        // at its final size and fill it in the same order (so the first of a repeated key wins).
        var hashes = new int[list.Count];
        var sizes = new int[pageCount];
        var n = 0;
        foreach (var (key, _) in list)
        {
            ArgumentNullException.ThrowIfNull(key);
            var hash = TextHash.Of(key);
            hashes[n++] = hash;
            sizes[PageOf(hash, pageCount)]++;
        }

        var pages = new Page[pageCount];
        for (var p = 0; p < pageCount; p++)
        {
            pages[p] = new Page(sizes[p] == 0 ? EmptyPage : new Entry[SlotsFor(sizes[p])]);
        }

        var count = 0;
        n = 0;
        foreach (var (key, value) in list)
        {
            var hash = hashes[n++];
            count += Insert(pages[PageOf(hash, pageCount)].Slots, new Entry(key, value, hash)) ? 1 : 0;
        }

        return new PagedTextMap<TValue>(pages, count);
    }

    public bool ContainsKey(string key) => key is not null && TryGetValue(key, TextHash.Of(key), out _);

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
        ref readonly var page = ref _pages[(int)((ulong)(uint)hash >> _pageShift)];
        var slots = page.Slots;
        var mask = page.Mask;
        var i = hash & mask;
        while (true)
        {
            ref readonly var entry = ref slots[i];
            if (entry.Key is null)
            {
                value = default;
                return false;
            }

            if (entry.Hash == hash && string.Equals(entry.Key, key))
            {
                value = entry.Value;
                return true;
            }

            i = (i + 1) & mask;
        }
    }

    /// <summary>
    /// A new map: this one without <paramref name="removed"/>, with <paramref name="upserts"/> added or replacing
    /// entries. Only the pages the changes fall in are copied (and the page table); the others are shared. A change
    /// of more than an eighth of the map, or one that leaves the page count far from ideal, rebuilds every page.
    /// </summary>
    public PagedTextMap<TValue> With(IReadOnlyDictionary<string, TValue> upserts, IReadOnlySet<string> removed)
    {
        if (upserts.Count == 0 && removed.Count == 0)
        {
            return this;
        }

        if ((upserts.Count + removed.Count) * 8L > _count)
        {
            return Rebuilt(upserts, removed);
        }

        var pages = (Page[])_pages.Clone();
        var count = _count;
        foreach (var key in removed)
        {
            if (!upserts.ContainsKey(key))
            {
                var hash = TextHash.Of(key);
                ref var page = ref pages[PageOf(hash, pages.Length)];
                page = new Page(Changed(page.Slots, key, hash, default, remove: true, ref count));
            }
        }

        foreach (var (key, value) in upserts)
        {
            var hash = TextHash.Of(key);
            ref var page = ref pages[PageOf(hash, pages.Length)];
            page = new Page(Changed(page.Slots, key, hash, value, remove: false, ref count));
        }

        var ideal = PageCountFor(count);
        return ideal > pages.Length * 4 || ideal * 4 < pages.Length
            ? Create(new PagedTextMap<TValue>(pages, count))
            : new PagedTextMap<TValue>(pages, count);
    }

    public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator()
    {
        foreach (var (page, _) in _pages)
        {
            for (var i = 0; i < page.Length; i++)
            {
                if (page[i].Key is { } key)
                {
                    yield return new KeyValuePair<string, TValue>(key, page[i].Value);
                }
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The page of a hash: its high bits, scaled to the page count (Lemire's multiply-shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PageOf(int hash, int pageCount) => (int)(((ulong)(uint)hash * (uint)pageCount) >> 32);

    private static int PageCountFor(int count)
    {
        var pages = 1;
        while (pages * (long)EntriesPerPage < count)
        {
            pages <<= 1;
        }

        return pages;
    }

    /// <summary>A page of <paramref name="items"/>: at most three quarters full. A repeated key keeps its first value.</summary>
    private static Entry[] NewPage(ReadOnlySpan<Entry> items, ref int count)
    {
        var page = new Entry[SlotsFor(items.Length)];
        foreach (ref readonly var item in items)
        {
            count += Insert(page, item) ? 1 : 0;
        }

        return page;
    }

    /// <summary>The slots of a page of <paramref name="entries"/>: a power of two, at most three quarters used, one free at least.</summary>
    private static int SlotsFor(int entries)
    {
        var size = 1;
        while (size * 3 < entries * 4 + 1)
        {
            size <<= 1;
        }

        return size;
    }

    /// <summary>Puts <paramref name="item"/> in the first free slot of its probe sequence; false when its key is there already.</summary>
    private static bool Insert(Entry[] page, in Entry item)
    {
        var mask = page.Length - 1;
        var i = item.Hash & mask;
        while (page[i].Key is { } taken)
        {
            if (page[i].Hash == item.Hash && string.Equals(taken, item.Key))
            {
                return false;
            }

            i = (i + 1) & mask;
        }

        page[i] = item;
        return true;
    }

    /// <summary>
    /// A copy of <paramref name="page"/> with <paramref name="key"/> set or removed (the page itself when there is
    /// nothing to remove); <paramref name="count"/> follows. A replaced value or an insert that leaves the page at most
    /// three quarters full copies the page as it is; anything else lays the page out again.
    /// </summary>
    private static Entry[] Changed(Entry[] page, string key, int hash, TValue? value, bool remove, ref int count)
    {
        var at = Find(page, key, hash);
        if (remove)
        {
            if (at < 0)
            {
                return page;
            }

            count--;
            return Laid(page, except: at, extra: null);
        }

        Entry[] copy;
        if (at >= 0)
        {
            copy = (Entry[])page.Clone();
            copy[at] = new Entry(key, value!, hash);
            return copy;
        }

        count++;
        if (SlotsFor(CountOf(page) + 1) > page.Length)
        {
            return Laid(page, except: -1, extra: new Entry(key, value!, hash));
        }

        copy = (Entry[])page.Clone();
        Insert(copy, new Entry(key, value!, hash));
        return copy;
    }

    /// <summary>The entries of <paramref name="page"/> but the one at <paramref name="except"/>, plus <paramref name="extra"/>, in a new page.</summary>
    private static Entry[] Laid(Entry[] page, int except, Entry? extra)
    {
        var live = new List<Entry>(page.Length + 1);
        for (var i = 0; i < page.Length; i++)
        {
            if (i != except && page[i].Key is not null)
            {
                live.Add(page[i]);
            }
        }

        if (extra is { } added)
        {
            live.Add(added);
        }

        var ignored = 0;
        return live.Count == 0 ? EmptyPage : NewPage(CollectionsMarshal.AsSpan(live), ref ignored);
    }

    private static int Find(Entry[] page, string key, int hash)
    {
        var mask = page.Length - 1;
        var i = hash & mask;
        while (page[i].Key is { } candidate)
        {
            if (page[i].Hash == hash && string.Equals(candidate, key))
            {
                return i;
            }

            i = (i + 1) & mask;
        }

        return -1;
    }

    private static int CountOf(Entry[] page)
    {
        var n = 0;
        foreach (ref readonly var entry in page.AsSpan())
        {
            n += entry.Key is null ? 0 : 1;
        }

        return n;
    }

    private PagedTextMap<TValue> Rebuilt(IReadOnlyDictionary<string, TValue> upserts, IReadOnlySet<string> removed)
    {
        var items = new List<KeyValuePair<string, TValue>>(_count + upserts.Count);
        foreach (var item in this)
        {
            if (!removed.Contains(item.Key) && !upserts.ContainsKey(item.Key))
            {
                items.Add(item);
            }
        }

        items.AddRange(upserts);
        return Create(items);
    }

    /// <summary>A page's slots and their mask (the slot count − 1), side by side.</summary>
    private readonly struct Page(Entry[] slots)
    {
        public Entry[] Slots { get; } = slots;

        public int Mask { get; } = slots.Length - 1;

        public void Deconstruct(out Entry[] slots, out int mask) => (slots, mask) = (Slots, Mask);
    }

    private readonly struct Entry(string key, TValue value, int hash)
    {
        public string Key { get; } = key;

        public TValue Value { get; } = value;

        public int Hash { get; } = hash;
    }
}
