using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// What decoding costs in allocations: nothing for static indexes and raw literals (handed over where they lie in the
/// block), nothing for Huffman literals once the shared array pool holds a scratch buffer for them.
/// </summary>
public sealed class HpackDecoderAllocationTests
{
    [Test]
    public void Decode_BlocksOfStaticIndexesRawAndHuffmanLiterals_AllocateNothing()
    {
        var decoder = new HpackDecoder(4096, 16384);
        var counter = new HpackFieldCounter();
        var buffer = new byte[64];
        var written = HpackEncoder.WriteStatus200(buffer);
        written += HpackEncoder.WriteLiteral(buffer.AsSpan(written), "grpc-status", "0");
        var encoded = buffer.AsSpan(0, written).ToArray();

        // :method GET, :path /sample/path (not indexed), :authority www.example.com (Huffman, not indexed).
        var request = Convert.FromHexString("82" + "040c2f73616d706c652f70617468" + "018cf1e3c2e5f23a6ba0ab90f4ff");
        decoder.Decode(request, counter); // warms the shared pool's buffer for Huffman strings
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            decoder.Decode(request, counter);
            decoder.Decode(encoded, counter);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That((allocated, counter.Fields), Is.EqualTo((0L, 3 + (1000 * 5))));
    }
}
