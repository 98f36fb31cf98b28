namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// HPACK integer representation (RFC 7541 section 5.1): an N-bit prefix, then 7 bits per continuation byte, least
/// significant group first. Values above <see cref="int.MaxValue"/> and encodings longer than any such value needs are
/// rejected.
/// </summary>
internal static class HpackInteger
{
    /// <summary>Continuation bytes that can carry an <see cref="int"/> (5 × 7 bits ≥ 31).</summary>
    private const int MaxContinuationBytes = 5;

    /// <summary>
    /// Decodes an integer whose prefix is the low <paramref name="prefixBits"/> bits of <c>block[position]</c>, and
    /// moves <paramref name="position"/> past it.
    /// </summary>
    /// <param name="block">The header block.</param>
    /// <param name="position">The offset of the prefix byte; on return, of the byte after the integer.</param>
    /// <param name="prefixBits">Bits of the prefix, 1 to 8.</param>
    /// <returns>The value.</returns>
    /// <exception cref="HpackException">The integer is cut off by the end of the block, is above
    /// <see cref="int.MaxValue"/>, or has more continuation bytes than that needs.</exception>
    public static int Decode(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var start = position;
        if (position >= block.Length)
        {
            throw Truncated(start);
        }

        var mask = (1 << prefixBits) - 1;
        long value = block[position++] & mask;
        if (value < mask)
        {
            return (int)value;
        }

        for (var shift = 0; shift < MaxContinuationBytes * 7; shift += 7)
        {
            if (position >= block.Length)
            {
                throw Truncated(start);
            }

            int octet = block[position++];
            value += (long)(octet & 0x7F) << shift;
            if (value > int.MaxValue)
            {
                throw new HpackException($"HPACK: integer above {int.MaxValue} (byte offset {start}).");
            }

            if ((octet & 0x80) == 0)
            {
                return (int)value;
            }
        }

        throw new HpackException($"HPACK: integer with more than {MaxContinuationBytes} continuation bytes (byte offset {start}).");
    }

    /// <summary>Bytes <see cref="Encode"/> writes for a value with a prefix of <paramref name="prefixBits"/> bits.</summary>
    /// <param name="value">The value, zero or above.</param>
    /// <param name="prefixBits">Bits of the prefix, 1 to 8.</param>
    /// <returns>The length.</returns>
    public static int Length(int value, int prefixBits)
    {
        var mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            return 1;
        }

        var length = 2;
        for (var rest = value - mask; rest >= 0x80; rest >>= 7)
        {
            length++;
        }

        return length;
    }

    /// <summary>
    /// Writes an integer with a prefix of <paramref name="prefixBits"/> bits; the bits of the first byte above the
    /// prefix are <paramref name="flags"/>. The destination must hold <see cref="Length"/> bytes.
    /// </summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="value">The value, zero or above.</param>
    /// <param name="prefixBits">Bits of the prefix, 1 to 8.</param>
    /// <param name="flags">The first byte's bits above the prefix (the representation's pattern).</param>
    /// <returns>Bytes written.</returns>
    public static int Encode(Span<byte> destination, int value, int prefixBits, byte flags)
    {
        var mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            destination[0] = (byte)(flags | value);
            return 1;
        }

        destination[0] = (byte)(flags | mask);
        var written = 1;
        var rest = value - mask;
        while (rest >= 0x80)
        {
            destination[written++] = (byte)((rest & 0x7F) | 0x80);
            rest >>= 7;
        }

        destination[written++] = (byte)rest;
        return written;
    }

    private static HpackException Truncated(int start) =>
        new($"HPACK: integer cut off by the end of the header block (byte offset {start}).");
}
