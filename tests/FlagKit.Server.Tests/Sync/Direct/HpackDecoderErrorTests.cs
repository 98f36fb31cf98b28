using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// Malformed header blocks, and blocks over the header list size limit: each is an <see cref="HpackException"/> naming
/// what was wrong and the byte offset, the limit checked before any of the field's bytes are read or decoded.
/// </summary>
public sealed class HpackDecoderErrorTests
{
    [Test]
    public void Decode_IndexZero_Throws()
    {
        var decoder = new HpackDecoder(4096, 16384);

        Assert.That(
            () => HpackFieldRecorder.Decode(decoder, "82 80"),
            Throws.TypeOf<HpackException>().With.Message.Contains("index 0").And.Message.Contains("byte offset 1"));
    }

    [Test]
    public void Decode_IndexBeyondStaticAndDynamicTable_Throws()
    {
        var decoder = new HpackDecoder(4096, 16384);
        HpackFieldRecorder.Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");

        Assert.That(
            () => HpackFieldRecorder.Decode(decoder, "bf"),
            Throws.TypeOf<HpackException>().With.Message.Contains("index 63 beyond the table (61 static + 1 dynamic entries)"));
    }

    [Test]
    public void Decode_LiteralWithNameIndexBeyondTable_Throws()
    {
        var decoder = new HpackDecoder(4096, 16384);

        Assert.That(
            () => HpackFieldRecorder.Decode(decoder, "7e 01 61"),
            Throws.TypeOf<HpackException>().With.Message.Contains("index 62 beyond"));
    }

    [Test]
    public void Decode_SizeUpdateAtTheAdvertisedMaximum_IsAccepted()
    {
        var decoder = new HpackDecoder(4096, 16384);

        // 3fe11f = size update to 4096, then :method GET.
        Assert.That(HpackFieldRecorder.Decode(decoder, "3fe11f 82"), Is.EqualTo(new[] { (":method", "GET") }));
    }

    [Test]
    public void Decode_SizeUpdateAboveTheAdvertisedMaximum_Throws()
    {
        var decoder = new HpackDecoder(4096, 16384);

        Assert.That(
            () => HpackFieldRecorder.Decode(decoder, "3fe21f"),
            Throws.TypeOf<HpackException>().With.Message.Contains("size update to 4097 bytes, above the 4096 advertised"));
    }

    [Test]
    public void Decode_SizeUpdateAfterAField_Throws()
    {
        var decoder = new HpackDecoder(4096, 16384);

        Assert.That(
            () => HpackFieldRecorder.Decode(decoder, "82 20"),
            Throws.TypeOf<HpackException>().With.Message.Contains("size update after a header field").And.Message.Contains("byte offset 1"));
    }

    [Test]
    public void Decode_SizeUpdatesBeforeTheFirstField_ShrinkTheTableAndEvict()
    {
        var decoder = new HpackDecoder(4096, 16384);
        HpackFieldRecorder.Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");

        // Size 0 (evicts everything), back to 4096, then a field.
        Assert.That(HpackFieldRecorder.Decode(decoder, "20 3fe11f 82"), Is.EqualTo(new[] { (":method", "GET") }));
        Assert.That(() => HpackFieldRecorder.Decode(decoder, "be"), Throws.TypeOf<HpackException>().With.Message.Contains("index 62 beyond"));
    }

    [Test]
    public void Decode_EntryLargerThanTheTable_EmitsFieldAndEmptiesTheTable()
    {
        var decoder = new HpackDecoder(54, 16384);
        HpackFieldRecorder.Decode(decoder, "4001 61 01 62"); // a: b, 34 bytes: fits

        // custom-key: custom-header is 55 bytes, more than the 54-byte table.
        var fields = HpackFieldRecorder.Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");

        Assert.That(fields, Is.EqualTo(new[] { ("custom-key", "custom-header") }));
        Assert.That(() => HpackFieldRecorder.Decode(decoder, "be"), Throws.TypeOf<HpackException>().With.Message.Contains("index 62 beyond"));
    }

    [Test]
    public void Decode_NewEntryEvictsTheEntryItsNameComesFrom_KeepsTheName()
    {
        var decoder = new HpackDecoder(100, 16384);
        HpackFieldRecorder.Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");

        // Name from index 62 (custom-key), value "other-value-x": 55 more bytes, so entry 62 is evicted to make room.
        var fields = HpackFieldRecorder.Decode(decoder, "7e 0d 6f74 6865 722d 7661 6c75 652d 78");

        Assert.That(fields, Is.EqualTo(new[] { ("custom-key", "other-value-x") }));
        Assert.That(HpackFieldRecorder.Decode(decoder, "be"), Is.EqualTo(new[] { ("custom-key", "other-value-x") }));
        Assert.That(() => HpackFieldRecorder.Decode(decoder, "bf"), Throws.TypeOf<HpackException>().With.Message.Contains("index 63 beyond"));
    }

    [TestCase("ff", "integer cut off")]
    [TestCase("82 ff80", "integer cut off")]
    [TestCase("ffffffffff0f", "integer above")]
    [TestCase("00", "string literal cut off")]
    [TestCase("00 05 6162", "string literal of 5 bytes cut off")]
    [TestCase("00 01 61 85 1f", "string literal of 5 bytes cut off")]
    public void Decode_Truncated_Throws(string hex, string message)
    {
        var decoder = new HpackDecoder(4096, 16384);

        Assert.That(() => HpackFieldRecorder.Decode(decoder, hex), Throws.TypeOf<HpackException>().With.Message.Contains(message));
    }

    [TestCase("00 01 61 81 18", "padding is not all ones")] // 'a' then 000
    [TestCase("00 01 61 82 1fff", "11 bits of padding, more than 7")] // 'a' then 11 one bits
    [TestCase("00 01 61 84 ffffffff", "EOS symbol")]
    [TestCase("00 81 18 00", "padding is not all ones")] // in the name
    public void Decode_BadHuffmanString_Throws(string hex, string message)
    {
        var decoder = new HpackDecoder(4096, 16384);

        Assert.That(() => HpackFieldRecorder.Decode(decoder, hex), Throws.TypeOf<HpackException>().With.Message.Contains(message));
    }

    [Test]
    public void Decode_FieldExactlyAtTheListLimit_IsAccepted()
    {
        var decoder = new HpackDecoder(4096, 100);

        // 60-byte name + 8-byte value + 32 = 100.
        var fields = HpackFieldRecorder.Decode(decoder, "00 3c" + new string('6', 120) + "08" + new string('7', 16));

        Assert.That(fields, Is.EqualTo(new[] { (new string('f', 60), new string('w', 8)) }));
    }

    [Test]
    public void Decode_FieldOverTheListLimit_Throws()
    {
        var decoder = new HpackDecoder(4096, 100);

        // 60-byte name + 9-byte value + 32 = 101.
        Assert.That(
            () => HpackFieldRecorder.Decode(decoder, "00 3c" + new string('6', 120) + "09" + new string('7', 18)),
            Throws.TypeOf<HpackException>().With.Message.Contains("header list over the 100-byte limit").And.Message.Contains("byte offset 62"));
    }

    [Test]
    public void Decode_FieldsSummingOverTheListLimit_ThrowsAtTheFieldThatCrossesIt()
    {
        var decoder = new HpackDecoder(4096, 126);

        // :method GET is 7 + 3 + 32 = 42 bytes: three fit in 126, a fourth does not.
        Assert.That(HpackFieldRecorder.Decode(decoder, "828282"), Has.Length.EqualTo(3));
        Assert.That(
            () => HpackFieldRecorder.Decode(decoder, "82828282"),
            Throws.TypeOf<HpackException>().With.Message.Contains("header list over").And.Message.Contains("byte offset 3"));
    }

    [Test]
    public void Decode_StringClaimingMoreThanTheLimit_ThrowsForTheLimitBeforeReadingIt()
    {
        var decoder = new HpackDecoder(4096, 100);

        // A name of 1 000 000 bytes (7f c1833d) of which the block holds two: the limit is the error, not the cut.
        Assert.That(
            () => HpackFieldRecorder.Decode(decoder, "00 7fc1833d 6162"),
            Throws.TypeOf<HpackException>().With.Message.Contains("header list over the 100-byte limit").And.Message.Contains("byte offset 1"));
    }

    [Test]
    public void Decode_HuffmanStringDecodingOverTheLimit_ThrowsWhileDecoding()
    {
        var decoder = new HpackDecoder(4096, 40);

        // Ten zero bytes decode to sixteen '0' (5 bits each): 16 + 32 > 40, though ten coded bytes could have been fewer.
        Assert.That(
            () => HpackFieldRecorder.Decode(decoder, "00 8a" + new string('0', 20) + "00"),
            Throws.TypeOf<HpackException>().With.Message.Contains("header list over the 40-byte limit"));
    }

    [Test]
    public void Decode_ListLimit_AppliesPerBlock()
    {
        var decoder = new HpackDecoder(4096, 84);

        for (var block = 0; block < 3; block++)
        {
            Assert.That(HpackFieldRecorder.Decode(decoder, "8282"), Has.Length.EqualTo(2));
        }
    }
}
