using System.Buffers;

namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// Decodes HPACK header blocks (RFC 7541) for one HTTP/2 connection: indexed fields (static and dynamic table),
/// literals with incremental indexing, without indexing and never indexed (indexed or literal name), dynamic table
/// size updates at the start of a block, raw and Huffman-coded strings. Not thread-safe: a connection decodes its
/// blocks one at a time, in order.
/// </summary>
/// <remarks>
/// A block that only references the static table, or holds raw literals that are not indexed, allocates nothing: raw
/// strings are handed to the handler where they lie in the block. Huffman-coded strings are decoded into a scratch
/// buffer rented from the shared array pool for the block (grown on demand, never asked for more than the header list
/// size limit) and returned at its end, so an idle connection's decoder holds no buffer. Every field is checked
/// against that limit before its bytes are copied or decoded anywhere.
/// </remarks>
internal sealed class HpackDecoder
{
    private readonly int _maxDynamicTableSize;
    private readonly int _maxHeaderListSize;
    private readonly HpackDynamicTable _table;
    private byte[] _scratch = [];
    private int _listSize;

    /// <summary>Creates a decoder with an empty dynamic table.</summary>
    /// <param name="maxDynamicTableSize">The SETTINGS_HEADER_TABLE_SIZE advertised to the peer (4096 by default):
    /// the table's initial maximum; a size update above it is an error.</param>
    /// <param name="maxHeaderListSize">The most a block may decode to: the sum over its fields of name length + value
    /// length + 32 (RFC 7540 section 6.5.2).</param>
    public HpackDecoder(int maxDynamicTableSize, int maxHeaderListSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDynamicTableSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderListSize);
        _maxDynamicTableSize = maxDynamicTableSize;
        _maxHeaderListSize = maxHeaderListSize;
        _table = new HpackDynamicTable(maxDynamicTableSize);
    }

    /// <summary>
    /// Decodes one complete header block (the HEADERS and CONTINUATION fragments concatenated, padding and priority
    /// removed), handing each field to <paramref name="handler"/> in order and updating the dynamic table.
    /// </summary>
    /// <param name="block">The header block.</param>
    /// <param name="handler">Receives the fields.</param>
    /// <exception cref="HpackException">The block is malformed or over the header list size limit; the connection
    /// must end with COMPRESSION_ERROR (fields before the fault may already have been handed over, and the dynamic
    /// table is no longer in step with the peer's).</exception>
    public void Decode(ReadOnlySpan<byte> block, IHpackHeaderHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _listSize = 0;
        try
        {
            DecodeFields(block, handler);
        }
        finally
        {
            ReturnScratch();
        }
    }

    private void DecodeFields(ReadOnlySpan<byte> block, IHpackHeaderHandler handler)
    {
        var position = 0;
        var fieldSeen = false;
        while (position < block.Length)
        {
            var first = block[position];
            if ((first & 0x80) != 0)
            {
                DecodeIndexed(block, ref position, handler);
                fieldSeen = true;
            }
            else if ((first & 0xC0) == 0x40)
            {
                DecodeLiteral(block, ref position, prefixBits: 6, index: true, handler);
                fieldSeen = true;
            }
            else if ((first & 0xE0) == 0x20)
            {
                DecodeSizeUpdate(block, ref position, fieldSeen);
            }
            else
            {
                // 0000xxxx without indexing, 0001xxxx never indexed: the same to a decoder that forwards nothing.
                DecodeLiteral(block, ref position, prefixBits: 4, index: false, handler);
                fieldSeen = true;
            }
        }
    }

    private void DecodeIndexed(ReadOnlySpan<byte> block, ref int position, IHpackHeaderHandler handler)
    {
        var start = position;
        var index = HpackInteger.Decode(block, ref position, 7);
        var name = Name(index, start);
        var value = Value(index);
        CheckFits(name.Length + value.Length, start);
        _listSize += name.Length + value.Length + HpackDynamicTable.EntryOverhead;
        handler.OnHeader(name, value);
    }

    private void DecodeLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits, bool index, IHpackHeaderHandler handler)
    {
        var start = position;
        var nameIndex = HpackInteger.Decode(block, ref position, prefixBits);
        ReadOnlySpan<byte> name;
        ReadOnlySpan<byte> value;
        if (nameIndex == 0)
        {
            var nameInScratch = ReadString(block, ref position, 0, Budget(0, start), out var nameStart, out var nameLength);
            var valueInScratch = ReadString(
                block, ref position, nameInScratch ? nameLength : 0, Budget(nameLength, start), out var valueStart, out var valueLength);

            // Resolved only now: decoding the value may have moved the scratch buffer the name was decoded into.
            name = Resolve(block, nameInScratch, nameStart, nameLength);
            value = Resolve(block, valueInScratch, valueStart, valueLength);
        }
        else
        {
            name = Name(nameIndex, start);
            var valueInScratch = ReadString(block, ref position, 0, Budget(name.Length, start), out var valueStart, out var valueLength);
            value = Resolve(block, valueInScratch, valueStart, valueLength);
        }

        _listSize += name.Length + value.Length + HpackDynamicTable.EntryOverhead;
        if (index)
        {
            _table.Add(name, value);
        }

        handler.OnHeader(name, value);
    }

    private void DecodeSizeUpdate(ReadOnlySpan<byte> block, ref int position, bool fieldSeen)
    {
        var start = position;
        if (fieldSeen)
        {
            throw new HpackException($"HPACK: dynamic table size update after a header field; it is only allowed at the start of a block (byte offset {start}).");
        }

        var size = HpackInteger.Decode(block, ref position, 5);
        if (size > _maxDynamicTableSize)
        {
            throw new HpackException($"HPACK: dynamic table size update to {size} bytes, above the {_maxDynamicTableSize} advertised (byte offset {start}).");
        }

        _table.SetMaxSize(size);
    }

    /// <summary>
    /// Reads a string literal (RFC 7541 section 5.2) of at most <paramref name="budget"/> decoded bytes: a raw one is
    /// left in the block, a Huffman-coded one is decoded into the scratch buffer at <paramref name="scratchOffset"/>.
    /// </summary>
    /// <returns>Whether the string is in the scratch buffer (else in the block).</returns>
    private bool ReadString(ReadOnlySpan<byte> block, ref int position, int scratchOffset, int budget, out int start, out int length)
    {
        var offset = position;
        if (position >= block.Length)
        {
            throw new HpackException($"HPACK: string literal cut off by the end of the header block (byte offset {offset}).");
        }

        var huffman = (block[position] & 0x80) != 0;
        var coded = HpackInteger.Decode(block, ref position, 7);

        // A Huffman code is 5 to 30 bits a byte, with up to 7 bits of padding: the least a coded string can decode to.
        var least = huffman ? (int)Math.Max(0, ((coded * 8L) - 7) / 30) : coded;
        if (least > budget)
        {
            throw OverLimit(offset);
        }

        if (coded > block.Length - position)
        {
            throw new HpackException($"HPACK: string literal of {coded} bytes cut off by the end of the header block (byte offset {offset}).");
        }

        var source = block.Slice(position, coded);
        position += coded;
        if (!huffman)
        {
            start = position - coded;
            length = coded;
            return false;
        }

        var most = (int)Math.Min(budget, (coded * 8L) / 5);
        EnsureScratch(scratchOffset + most);
        if (!Huffman.TryDecode(source, _scratch.AsSpan(scratchOffset, most), position - coded, out length))
        {
            throw OverLimit(offset);
        }

        start = scratchOffset;
        return true;
    }

    private ReadOnlySpan<byte> Resolve(ReadOnlySpan<byte> block, bool inScratch, int start, int length) =>
        inScratch ? _scratch.AsSpan(start, length) : block.Slice(start, length);

    /// <summary>The most bytes the rest of a field may take once <paramref name="used"/> bytes of it are known.</summary>
    private int Budget(int used, int offset)
    {
        var budget = _maxHeaderListSize - _listSize - HpackDynamicTable.EntryOverhead - used;
        return budget >= 0 ? budget : throw OverLimit(offset);
    }

    private void CheckFits(int fieldLength, int offset)
    {
        if (fieldLength > _maxHeaderListSize - _listSize - HpackDynamicTable.EntryOverhead)
        {
            throw OverLimit(offset);
        }
    }

    private void EnsureScratch(int length)
    {
        if (_scratch.Length >= length)
        {
            return;
        }

        // Doubling, capped at the header list size limit (callers never ask for more than it); contents kept.
        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(_maxHeaderListSize, Math.Max(length, _scratch.Length * 2L)));
        _scratch.CopyTo(grown, 0);
        ReturnScratch();
        _scratch = grown;
    }

    private void ReturnScratch()
    {
        if (_scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = [];
        }
    }

    private ReadOnlySpan<byte> Name(int index, int offset) =>
        index <= HpackStaticTable.Count ? HpackStaticTable.Name(CheckIndex(index, offset)) : _table.Name(CheckIndex(index, offset) - HpackStaticTable.Count);

    private ReadOnlySpan<byte> Value(int index) =>
        index <= HpackStaticTable.Count ? HpackStaticTable.Value(index) : _table.Value(index - HpackStaticTable.Count);

    private int CheckIndex(int index, int offset)
    {
        if (index == 0)
        {
            throw new HpackException($"HPACK: index 0 (byte offset {offset}).");
        }

        if (index > HpackStaticTable.Count + _table.Count)
        {
            throw new HpackException(
                $"HPACK: index {index} beyond the table ({HpackStaticTable.Count} static + {_table.Count} dynamic entries) (byte offset {offset}).");
        }

        return index;
    }

    private HpackException OverLimit(int offset) =>
        new($"HPACK: header list over the {_maxHeaderListSize}-byte limit (name + value + 32 per field) (byte offset {offset}).");
}
