using System.Buffers.Binary;
using FlagKit.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Server.Sync;

/// <summary>
/// One <see cref="SyncResponse"/>, serialized once, with its gRPC message prefix (uncompressed flag, big-endian
/// length): the exact bytes of one message on the wire. The same frame (a change, a snapshot chunk, a heartbeat) is
/// copied as is into every subscriber's stream, without going through a serializer per stream; SDKs built on the
/// generated client read it unchanged.
/// </summary>
internal sealed class SyncFrame
{
    /// <summary>Bytes of gRPC's length-prefixed message header.</summary>
    public const int PrefixLength = 5;

    private SyncFrame(byte[] wire) => Wire = wire;

    /// <summary>The message as it goes on the wire: prefix and payload. Never mutated after creation.</summary>
    public byte[] Wire { get; }

    /// <summary>The serialized <see cref="SyncResponse"/> alone.</summary>
    public ReadOnlySpan<byte> PayloadSpan => Wire.AsSpan(PrefixLength);

    /// <summary>A copy of the serialized <see cref="SyncResponse"/> (for tests and diagnostics).</summary>
    public byte[] Payload => Wire[PrefixLength..];

    /// <summary>Bytes of the serialized <see cref="SyncResponse"/>.</summary>
    public int PayloadLength => Wire.Length - PrefixLength;

    /// <summary>Serializes a message into a frame.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The frame.</returns>
    public static SyncFrame From(SyncResponse message)
    {
        var size = message.CalculateSize();
        var wire = new byte[PrefixLength + size];
        BinaryPrimitives.WriteUInt32BigEndian(wire.AsSpan(1), (uint)size);
        message.WriteTo(wire.AsSpan(PrefixLength));
        return new SyncFrame(wire);
    }

    /// <summary>A frame of an already serialized message.</summary>
    /// <param name="payload">The serialized <see cref="SyncResponse"/>.</param>
    /// <returns>The frame.</returns>
    public static SyncFrame FromPayload(ReadOnlySpan<byte> payload)
    {
        var wire = new byte[PrefixLength + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(wire.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(wire.AsSpan(PrefixLength));
        return new SyncFrame(wire);
    }

    /// <summary>Writes frames through gRPC (the Welcome and the final messages; the send loop copies <see cref="Wire"/> itself).</summary>
    public static readonly Marshaller<SyncFrame> Marshaller = new(
        static (frame, context) =>
        {
            context.SetPayloadLength(frame.PayloadLength);
            var writer = context.GetBufferWriter();
            frame.PayloadSpan.CopyTo(writer.GetSpan(frame.PayloadLength));
            writer.Advance(frame.PayloadLength);
            context.Complete();
        },
        static context => FromPayload(context.PayloadAsNewBuffer()));
}

/// <summary>A batch of frames that an SDK applies whole: Snapshot or Delta messages and their closing Transferred.</summary>
/// <param name="Revision">The revision the batch completes.</param>
/// <param name="Frames">The frames, in order.</param>
/// <param name="Transfers">False for a heartbeat: it carries no revision to apply (and is not recorded as sent).</param>
internal sealed record SyncBatch(long Revision, IReadOnlyList<SyncFrame> Frames, bool Transfers = true)
{
    /// <summary>Total payload bytes.</summary>
    public long Bytes { get; } = Frames.Sum(f => (long)f.PayloadLength);

    /// <summary>Times this change's fan-out (a published change, when the metric is listened to); null otherwise.</summary>
    public Diagnostics.FanOutClock? FanOut { get; init; }

    /// <summary>A published change whose fan-out is logged: each subscriber reports when it wrote the batch, or ended without.</summary>
    public FanoutTracker? Fanout { get; init; }
}
