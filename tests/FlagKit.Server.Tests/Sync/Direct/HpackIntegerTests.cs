using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>HPACK integers (RFC 7541 section 5.1 and the examples of Appendix C.1), and the bounds the decoder puts on them.</summary>
public sealed class HpackIntegerTests
{
    [Test]
    public void Decode_C11TenInFiveBitPrefix_IgnoresTheBitsAboveThePrefix()
    {
        var position = 0;

        var value = HpackInteger.Decode([0b111_01010], ref position, 5);

        Assert.That((value, position), Is.EqualTo((10, 1)));
    }

    [Test]
    public void Decode_C121337InFiveBitPrefix_ReadsTheContinuationBytes()
    {
        var position = 0;

        var value = HpackInteger.Decode([0x1f, 0x9a, 0x0a, 0xff], ref position, 5);

        Assert.That((value, position), Is.EqualTo((1337, 3)));
    }

    [Test]
    public void Decode_C13FortyTwoAtAnOctetBoundary_ReadsOneByte()
    {
        var position = 0;

        var value = HpackInteger.Decode([0x2a], ref position, 8);

        Assert.That((value, position), Is.EqualTo((42, 1)));
    }

    [Test]
    public void Encode_C1Examples_WriteTheRfcBytes()
    {
        var buffer = new byte[8];

        Assert.That(buffer[..HpackInteger.Encode(buffer, 10, 5, 0xE0)], Is.EqualTo(new byte[] { 0xEA }));
        Assert.That(buffer[..HpackInteger.Encode(buffer, 1337, 5, 0)], Is.EqualTo(new byte[] { 0x1f, 0x9a, 0x0a }));
        Assert.That(buffer[..HpackInteger.Encode(buffer, 42, 8, 0)], Is.EqualTo(new byte[] { 0x2a }));
    }

    [Test]
    public void EncodeThenDecode_BoundaryValuesForEveryPrefix_RoundTrip()
    {
        var buffer = new byte[8];
        for (var prefix = 1; prefix <= 8; prefix++)
        {
            var full = (1 << prefix) - 1;
            foreach (var value in new[] { 0, full - 1, full, full + 1, full + 127, full + 128, 1 << 20, int.MaxValue })
            {
                var written = HpackInteger.Encode(buffer, Math.Max(0, value), prefix, 0);
                var position = 0;

                var decoded = HpackInteger.Decode(buffer.AsSpan(0, written), ref position, prefix);

                Assert.That((decoded, position, written), Is.EqualTo((Math.Max(0, value), written, HpackInteger.Length(Math.Max(0, value), prefix))), $"prefix {prefix}, value {value}");
            }
        }
    }

    [Test]
    public void Decode_AboveIntMaxValue_Throws()
    {
        var position = 0;

        // 127 + 0x7f + 0x7f<<7 + 0x7f<<14 + 0x7f<<21 + 0x0f<<28: above 2^31 - 1.
        Assert.That(
            () => HpackInteger.Decode([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], ref position, 7),
            Throws.TypeOf<HpackException>().With.Message.Contains("integer above 2147483647").And.Message.Contains("byte offset 0"));
    }

    [Test]
    public void Decode_MoreContinuationBytesThanAnIntNeeds_Throws()
    {
        var position = 0;

        // 127 padded with zero groups: small, but six continuation bytes.
        Assert.That(
            () => HpackInteger.Decode([0x7f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], ref position, 7),
            Throws.TypeOf<HpackException>().With.Message.Contains("more than 5 continuation bytes"));
    }

    [Test]
    public void Decode_CutOffAfterThePrefixOrInTheContinuation_Throws()
    {
        Assert.Multiple(() =>
        {
            foreach (var bytes in new[] { new byte[] { 0x1f }, [0x1f, 0x9a], [] })
            {
                var position = 0;
                Assert.That(
                    () => HpackInteger.Decode(bytes, ref position, 5),
                    Throws.TypeOf<HpackException>().With.Message.Contains("integer cut off"),
                    Convert.ToHexString(bytes));
            }
        });
    }
}
