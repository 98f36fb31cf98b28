using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// The header block examples of RFC 7541 Appendix C.2 to C.6, decoded as printed there; the dynamic table each leaves
/// behind is checked through later blocks that index into it (what it holds, and that evicted entries are gone).
/// </summary>
public sealed class HpackDecoderRfcTests
{
    private const string Date21 = "Mon, 21 Oct 2013 20:13:21 GMT";
    private const string Date22 = "Mon, 21 Oct 2013 20:13:22 GMT";
    private const string Cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

    [Test]
    public void Decode_C21LiteralWithIndexing_EmitsFieldAndAddsIt()
    {
        var decoder = new HpackDecoder(4096, 16384);

        var fields = HpackFieldRecorder.Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");

        Assert.That(fields, Is.EqualTo(new[] { ("custom-key", "custom-header") }));
        Assert.That(HpackFieldRecorder.Decode(decoder, "be"), Is.EqualTo(new[] { ("custom-key", "custom-header") }));
    }

    [Test]
    public void Decode_C22LiteralWithoutIndexing_EmitsFieldAndLeavesTableEmpty()
    {
        var decoder = new HpackDecoder(4096, 16384);

        var fields = HpackFieldRecorder.Decode(decoder, "040c 2f73 616d 706c 652f 7061 7468");

        Assert.That(fields, Is.EqualTo(new[] { (":path", "/sample/path") }));
        Assert.That(() => HpackFieldRecorder.Decode(decoder, "be"), Throws.TypeOf<HpackException>().With.Message.Contains("index 62 beyond"));
    }

    [Test]
    public void Decode_C23LiteralNeverIndexed_EmitsFieldAndLeavesTableEmpty()
    {
        var decoder = new HpackDecoder(4096, 16384);

        var fields = HpackFieldRecorder.Decode(decoder, "1008 7061 7373 776f 7264 0673 6563 7265 74");

        Assert.That(fields, Is.EqualTo(new[] { ("password", "secret") }));
        Assert.That(() => HpackFieldRecorder.Decode(decoder, "be"), Throws.TypeOf<HpackException>().With.Message.Contains("index 62 beyond"));
    }

    [Test]
    public void Decode_C24Indexed_EmitsStaticEntry()
    {
        var decoder = new HpackDecoder(4096, 16384);

        Assert.That(HpackFieldRecorder.Decode(decoder, "82"), Is.EqualTo(new[] { (":method", "GET") }));
    }

    [Test]
    public void Decode_C3RequestsWithoutHuffman_DecodeThroughTheDynamicTable()
    {
        var decoder = new HpackDecoder(4096, 16384);

        var first = HpackFieldRecorder.Decode(decoder, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
        var second = HpackFieldRecorder.Decode(decoder, "8286 84be 5808 6e6f 2d63 6163 6865");
        var third = HpackFieldRecorder.Decode(
            decoder, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65");

        AssertRequests(decoder, first, second, third);
    }

    [Test]
    public void Decode_C4RequestsWithHuffman_DecodeThroughTheDynamicTable()
    {
        var decoder = new HpackDecoder(4096, 16384);

        var first = HpackFieldRecorder.Decode(decoder, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff");
        var second = HpackFieldRecorder.Decode(decoder, "8286 84be 5886 a8eb 1064 9cbf");
        var third = HpackFieldRecorder.Decode(decoder, "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf");

        AssertRequests(decoder, first, second, third);
    }

    [Test]
    public void Decode_C5ResponsesWithoutHuffman_EvictOldestEntriesFromA256ByteTable()
    {
        var decoder = new HpackDecoder(256, 16384);

        var first = HpackFieldRecorder.Decode(
            decoder,
            "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d" +
            "546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
        var second = HpackFieldRecorder.Decode(decoder, "4803 3330 37c1 c0bf");
        var third = HpackFieldRecorder.Decode(
            decoder,
            "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f" +
            "6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b" +
            "2076 6572 7369 6f6e 3d31");

        AssertResponses(decoder, first, second, third);
    }

    [Test]
    public void Decode_C6ResponsesWithHuffman_EvictOldestEntriesFromA256ByteTable()
    {
        var decoder = new HpackDecoder(256, 16384);

        var first = HpackFieldRecorder.Decode(
            decoder,
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7" +
            "8f0b 97c8 e9ae 82ae 43d3");
        var second = HpackFieldRecorder.Decode(decoder, "4883 640e ffc1 c0bf");
        var third = HpackFieldRecorder.Decode(
            decoder,
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335" +
            "dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07");

        AssertResponses(decoder, first, second, third);
    }

    private static void AssertRequests(
        HpackDecoder decoder, (string, string)[] first, (string, string)[] second, (string, string)[] third)
    {
        Assert.That(first, Is.EqualTo(new[] { (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com") }));
        Assert.That(second, Is.EqualTo(new[]
        {
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache"),
        }));
        Assert.That(third, Is.EqualTo(new[]
        {
            (":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"),
            ("custom-key", "custom-value"),
        }));

        // The table after C.3.3 / C.4.3: three entries, newest first, and nothing beyond them.
        Assert.That(HpackFieldRecorder.Decode(decoder, "bebfc0"), Is.EqualTo(new[]
        {
            ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"),
        }));
        Assert.That(() => HpackFieldRecorder.Decode(decoder, "c1"), Throws.TypeOf<HpackException>().With.Message.Contains("index 65 beyond"));
    }

    private static void AssertResponses(
        HpackDecoder decoder, (string, string)[] first, (string, string)[] second, (string, string)[] third)
    {
        Assert.That(first, Is.EqualTo(new[]
        {
            (":status", "302"), ("cache-control", "private"), ("date", Date21), ("location", "https://www.example.com"),
        }));
        Assert.That(second, Is.EqualTo(new[]
        {
            (":status", "307"), ("cache-control", "private"), ("date", Date21), ("location", "https://www.example.com"),
        }));
        Assert.That(third, Is.EqualTo(new[]
        {
            (":status", "200"), ("cache-control", "private"), ("date", Date22), ("location", "https://www.example.com"),
            ("content-encoding", "gzip"), ("set-cookie", Cookie),
        }));

        // The table after C.5.3 / C.6.3 (215 of 256 bytes): set-cookie, content-encoding, the new date; the rest evicted.
        Assert.That(HpackFieldRecorder.Decode(decoder, "bebfc0"), Is.EqualTo(new[]
        {
            ("set-cookie", Cookie), ("content-encoding", "gzip"), ("date", Date22),
        }));
        Assert.That(() => HpackFieldRecorder.Decode(decoder, "c1"), Throws.TypeOf<HpackException>().With.Message.Contains("index 65 beyond"));
    }
}
