namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// The HPACK Huffman code (RFC 7541 section 5.2 and Appendix B): decoding of Huffman-coded string literals, with the
/// padding rules (at most 7 bits, all ones, never the EOS symbol). The code table is RFC 7541 Appendix B, checked
/// symbol for symbol against the MIT-licensed table of dotnet/runtime
/// (src/libraries/Common/src/System/Net/Http/aspnetcore/Http2/Hpack/Huffman.cs).
/// </summary>
internal static class Huffman
{
    private const int Eos = 256;
    private const short Empty = short.MinValue;

    /// <summary>
    /// The code tree: node n's children for bit 0 and 1 are at [2n] and [2n + 1]. A child above zero is an inner
    /// node; zero or below is a leaf holding the symbol negated. Node 0 is the root (never a child, so 0 is symbol 0).
    /// </summary>
    private static readonly short[] Tree = BuildTree();

    /// <summary>
    /// Decodes a Huffman-coded string.
    /// </summary>
    /// <param name="source">The coded bytes.</param>
    /// <param name="destination">Where the decoded bytes go.</param>
    /// <param name="offset">The byte offset of <paramref name="source"/> in the header block, for error messages.</param>
    /// <param name="written">Bytes written to <paramref name="destination"/>.</param>
    /// <returns><see langword="false"/> if the decoded string does not fit in <paramref name="destination"/>
    /// (nothing is written past its end).</returns>
    /// <exception cref="HpackException">The string holds the EOS symbol, or its padding is longer than 7 bits or not
    /// all ones.</exception>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> destination, int offset, out int written)
    {
        var tree = Tree;
        written = 0;
        var node = 0;
        var bitsSinceSymbol = 0;
        var allOnes = true;
        for (var i = 0; i < source.Length; i++)
        {
            int octet = source[i];
            for (var bit = 7; bit >= 0; bit--)
            {
                var one = (octet >> bit) & 1;
                bitsSinceSymbol++;
                allOnes &= one == 1;
                int child = tree[(node * 2) + one];
                if (child > 0)
                {
                    node = child;
                    continue;
                }

                if (-child == Eos)
                {
                    throw new HpackException($"HPACK: Huffman-coded string holds the EOS symbol (byte offset {offset + i}).");
                }

                if (written == destination.Length)
                {
                    return false;
                }

                destination[written++] = (byte)-child;
                node = 0;
                bitsSinceSymbol = 0;
                allOnes = true;
            }
        }

        CheckPadding(bitsSinceSymbol, allOnes, offset + source.Length);
        return true;
    }

    private static void CheckPadding(int bits, bool allOnes, int end)
    {
        if (bits > 7)
        {
            throw new HpackException($"HPACK: Huffman-coded string ends in {bits} bits of padding, more than 7 (byte offset {end - 1}).");
        }

        if (!allOnes)
        {
            throw new HpackException($"HPACK: Huffman-coded string padding is not all ones (byte offset {end - 1}).");
        }
    }

    private static short[] BuildTree()
    {
        var codes = Codes;
        var lengths = Lengths;
        var tree = new short[512];
        Array.Fill(tree, Empty);
        short next = 1;
        for (var symbol = 0; symbol <= Eos; symbol++)
        {
            var node = 0;
            for (var bit = lengths[symbol] - 1; bit > 0; bit--)
            {
                var slot = (node * 2) + (int)((codes[symbol] >> bit) & 1);
                if (tree[slot] == Empty)
                {
                    tree[slot] = next++;
                }

                node = tree[slot];
            }

            tree[(node * 2) + (int)(codes[symbol] & 1)] = (short)-symbol;
        }

        return tree;
    }

    /// <summary>RFC 7541 Appendix B: the code of each symbol (0-255, then EOS), right-aligned, as the RFC prints it.</summary>
    private static ReadOnlySpan<uint> Codes =>
    [
        0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, // 0
        0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7, // 4
        0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, // 8
        0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec, // 12
        0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, // 16
        0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3, // 20
        0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, // 24
        0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb, // 28
        0x14, 0x3f8, 0x3f9, 0xffa, // 32
        0x1ff9, 0x15, 0xf8, 0x7fa, // 36
        0x3fa, 0x3fb, 0xf9, 0x7fb, // 40
        0xfa, 0x16, 0x17, 0x18, // 44
        0x0, 0x1, 0x2, 0x19, // 48
        0x1a, 0x1b, 0x1c, 0x1d, // 52
        0x1e, 0x1f, 0x5c, 0xfb, // 56
        0x7ffc, 0x20, 0xffb, 0x3fc, // 60
        0x1ffa, 0x21, 0x5d, 0x5e, // 64
        0x5f, 0x60, 0x61, 0x62, // 68
        0x63, 0x64, 0x65, 0x66, // 72
        0x67, 0x68, 0x69, 0x6a, // 76
        0x6b, 0x6c, 0x6d, 0x6e, // 80
        0x6f, 0x70, 0x71, 0x72, // 84
        0xfc, 0x73, 0xfd, 0x1ffb, // 88
        0x7fff0, 0x1ffc, 0x3ffc, 0x22, // 92
        0x7ffd, 0x3, 0x23, 0x4, // 96
        0x24, 0x5, 0x25, 0x26, // 100
        0x27, 0x6, 0x74, 0x75, // 104
        0x28, 0x29, 0x2a, 0x7, // 108
        0x2b, 0x76, 0x2c, 0x8, // 112
        0x9, 0x2d, 0x77, 0x78, // 116
        0x79, 0x7a, 0x7b, 0x7ffe, // 120
        0x7fc, 0x3ffd, 0x1ffd, 0xffffffc, // 124
        0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, // 128
        0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9, // 132
        0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, // 136
        0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf, // 140
        0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, // 144
        0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3, // 148
        0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, // 152
        0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef, // 156
        0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, // 160
        0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde, // 164
        0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, // 168
        0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec, // 172
        0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, // 176
        0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef, // 180
        0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, // 184
        0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1, // 188
        0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, // 192
        0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec, // 196
        0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, // 200
        0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed, // 204
        0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, // 208
        0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2, // 212
        0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, // 216
        0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5, // 220
        0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, // 224
        0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3, // 228
        0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, // 232
        0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4, // 236
        0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, // 240
        0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea, // 244
        0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, // 248
        0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee, // 252
        0x3fffffff, // 256
    ];

    /// <summary>RFC 7541 Appendix B: the code length in bits of each symbol (0-255, then EOS).</summary>
    private static ReadOnlySpan<byte> Lengths =>
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // 32
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // 48
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // 64
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 80
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // 96
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 112
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240
        30, // 256
    ];
}
