using System.Text;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>Decoding of Huffman-coded strings (RFC 7541 section 5.2, Appendix B) and its padding rules.</summary>
public sealed class HpackHuffmanTests
{
    [TestCase("f1e3c2e5f23a6ba0ab90f4ff", "www.example.com")] // C.4.1
    [TestCase("a8eb10649cbf", "no-cache")] // C.4.2
    [TestCase("640eff", "307")] // C.6.2: 7 one bits of padding
    [TestCase("18ee7f", "aa:")] // 5 + 5 + 7 bits, then 7 one bits
    [TestCase("1f", "a")] // 5 bits, then 3 one bits
    [TestCase("", "")]
    public void TryDecode_ValidString_DecodesIt(string hex, string expected)
    {
        var destination = new byte[64];

        var fits = Huffman.TryDecode(Convert.FromHexString(hex), destination, 0, out var written);

        Assert.That((fits, Encoding.Latin1.GetString(destination, 0, written)), Is.EqualTo((true, expected)));
    }

    [TestCase("ffc7", 0)] // symbol 0: 13 bits 0x1ff8, then 3 one bits
    [TestCase("fffffbbf", 255)] // symbol 255: 26 bits 0x3ffffee, then 6 one bits
    public void TryDecode_LongCodes_DecodeTheirByte(string hex, int symbol)
    {
        var destination = new byte[4];
        var bytes = Convert.FromHexString(hex);

        var fits = Huffman.TryDecode(bytes, destination, 0, out var written);

        Assert.That((fits, written, destination[0]), Is.EqualTo((true, 1, (byte)symbol)));
    }

    [Test]
    public void TryDecode_DestinationTooSmall_ReturnsFalseWithoutWritingPastIt()
    {
        var destination = new byte[5];

        var fits = Huffman.TryDecode(Convert.FromHexString("f1e3c2e5f23a6ba0ab90f4ff"), destination.AsSpan(0, 4), 0, out var written);

        Assert.That((fits, written, destination[4]), Is.EqualTo((false, 4, (byte)0)));
    }

    [Test]
    public void TryDecode_PaddingLongerThanSevenBits_Throws()
    {
        // 'a' (5 bits) then 11 one bits.
        Assert.That(
            () => Huffman.TryDecode([0x1f, 0xff], new byte[8], 10, out _),
            Throws.TypeOf<HpackException>().With.Message.Contains("11 bits of padding, more than 7").And.Message.Contains("byte offset 11"));
    }

    [Test]
    public void TryDecode_PaddingNotAllOnes_Throws()
    {
        // 'a' (5 bits) then 000: a prefix of '0', not of EOS.
        Assert.That(
            () => Huffman.TryDecode([0x18], new byte[8], 0, out _),
            Throws.TypeOf<HpackException>().With.Message.Contains("padding is not all ones"));
    }

    [Test]
    public void TryDecode_EosSymbol_Throws()
    {
        // EOS (30 one bits) then 2 one bits.
        Assert.That(
            () => Huffman.TryDecode([0xff, 0xff, 0xff, 0xff], new byte[8], 0, out _),
            Throws.TypeOf<HpackException>().With.Message.Contains("EOS symbol"));
    }
}
