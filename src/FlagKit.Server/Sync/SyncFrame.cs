using FlagKit.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Server.Sync;

/// <summary>
/// One <see cref="SyncResponse"/>, serialized once. The same frame (a change, a snapshot chunk, a heartbeat) is
/// written to every subscriber as is: the wire bytes are identical to the generated message's, so SDKs built on
/// the generated client read it unchanged.
/// </summary>
/// <param name="Payload">The serialized <see cref="SyncResponse"/>; never mutated after creation.</param>
internal sealed record SyncFrame(byte[] Payload)
{
    /// <summary>Serializes a message into a frame.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The frame.</returns>
    public static SyncFrame From(SyncResponse message) => new(message.ToByteArray());

    /// <summary>Writes frames as they are (the serializer copies the shared bytes into the transport).</summary>
    public static readonly Marshaller<SyncFrame> Marshaller = new(
        static (frame, context) => context.Complete(frame.Payload),
        static context => new SyncFrame(context.PayloadAsNewBuffer()));
}

/// <summary>A batch of frames that an SDK applies whole: Snapshot or Delta messages and their closing Transferred.</summary>
/// <param name="Revision">The revision the batch completes.</param>
/// <param name="Frames">The frames, in order.</param>
/// <param name="Transfers">False for a heartbeat: it carries no revision to apply (and is not recorded as sent).</param>
internal sealed record SyncBatch(long Revision, IReadOnlyList<SyncFrame> Frames, bool Transfers = true)
{
    /// <summary>An empty batch that only wakes a subscriber's writer (to send a prioritized frame).</summary>
    public static readonly SyncBatch Wake = new(0, [], Transfers: false);

    /// <summary>Total payload bytes.</summary>
    public long Bytes { get; } = Frames.Sum(f => (long)f.Payload.Length);
}
