using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>The response-side encoder, read back by <see cref="HpackDecoder"/>.</summary>
public sealed class HpackEncoderTests
{
    [Test]
    public void Write_StatusAndGrpcTrailers_DecodeToExactlyThoseFields()
    {
        var buffer = new byte[64];
        var written = HpackEncoder.WriteStatus200(buffer);
        written += HpackEncoder.WriteLiteral(buffer.AsSpan(written), "grpc-status", "0");
        written += HpackEncoder.WriteLiteral(buffer.AsSpan(written), "grpc-message", "a b");
        var recorder = new HpackFieldRecorder();

        new HpackDecoder(4096, 16384).Decode(buffer.AsSpan(0, written), recorder);

        Assert.That(recorder.Fields, Is.EqualTo(new[] { (":status", "200"), ("grpc-status", "0"), ("grpc-message", "a b") }));
    }

    [Test]
    public void WriteStatus200_Always_WritesStaticIndex8()
    {
        var buffer = new byte[2];

        Assert.That((HpackEncoder.WriteStatus200(buffer), buffer[0]), Is.EqualTo((1, (byte)0x88)));
    }

    [Test]
    public void WriteLiteral_Always_WritesTheLiteralWithoutIndexingBytes()
    {
        var buffer = new byte[32];

        var written = HpackEncoder.WriteLiteral(buffer, "grpc-status", "0");

        Assert.That(Convert.ToHexString(buffer, 0, written), Is.EqualTo("000B677270632D7374617475730130"));
    }

    [Test]
    public void WriteLiteral_LongValue_UsesAMultiByteLengthAndRoundTrips()
    {
        var value = new string('x', 300);
        var buffer = new byte[HpackEncoder.LiteralLength("content-type", value)];

        var written = HpackEncoder.WriteLiteral(buffer, "content-type", value);
        var recorder = new HpackFieldRecorder();
        new HpackDecoder(4096, 16384).Decode(buffer.AsSpan(0, written), recorder);

        Assert.That((written, recorder.Fields.Single()), Is.EqualTo((1 + 1 + 12 + 3 + 300, ("content-type", value))));
    }

    [Test]
    public void WriteLiteral_DestinationOneByteShort_ThrowsArgumentException()
    {
        var buffer = new byte[HpackEncoder.LiteralLength("grpc-status", "0") - 1];

        Assert.That(() => HpackEncoder.WriteLiteral(buffer, "grpc-status", "0"), Throws.ArgumentException.With.Message.Contains("needs 15 bytes"));
    }

    [TestCase("Grpc-Status", "0")]
    [TestCase("", "0")]
    [TestCase("grpc status", "0")]
    [TestCase("grpc-message", "line\nbreak")]
    [TestCase("grpc-message", "caf\u00e9")]
    public void LiteralLength_NameOrValueNotAllowed_ThrowsArgumentException(string name, string value)
    {
        Assert.That(() => HpackEncoder.LiteralLength(name, value), Throws.ArgumentException);
    }
}
