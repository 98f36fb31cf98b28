using System.Buffers;
using FlagKit.Protocol.V1;
using FlagKit.Server.Hosting;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Server.Sync;

/// <summary>
/// A <c>SyncRequest</c> as read off the wire: parsed at once (Hello, Ack), except a <c>TelemetrySummary</c>, whose bytes
/// are kept unparsed until the stream's rate limit admits it (<see cref="TelemetryGateReader"/>): a summary over the
/// limit is dropped before any of its variants is parsed.
/// </summary>
/// <remarks>
/// A summary is recognised by the message's first byte, the tag of <c>SyncRequest.telemetry</c> (field 3, length
/// delimited), as every protobuf encoder writes a one-field message. A request whose telemetry field comes after
/// another field is parsed at once; <see cref="TelemetryGateReader"/> still charges it to the limit before using it.
/// </remarks>
internal sealed class SyncRequestFrame
{
    /// <summary>The first byte of a <c>SyncRequest</c> that carries a <c>TelemetrySummary</c>: field 3, wire type 2.</summary>
    public const byte TelemetryTag = (SyncRequest.TelemetryFieldNumber << 3) | 2;

    /// <summary>The marshaller of the Sync method's requests (the wire format is exactly the generated <c>SyncRequest</c>'s).</summary>
    public static readonly Marshaller<SyncRequestFrame> Marshaller = new(
        static (frame, context) => context.Complete(frame._telemetry ?? frame._parsed!.ToByteArray()),
        Decode);

    private readonly SyncRequest? _parsed;
    private readonly byte[]? _telemetry;

    private SyncRequestFrame(SyncRequest? parsed, byte[]? telemetry)
    {
        _parsed = parsed;
        _telemetry = telemetry;
    }

    /// <summary>Whether the frame holds a telemetry summary, still unparsed.</summary>
    public bool IsTelemetry => _telemetry is not null;

    /// <summary>The message: the parsed one, or the summary parsed now.</summary>
    /// <returns>The request.</returns>
    /// <exception cref="RpcException">INVALID_ARGUMENT: the bytes are not a SyncRequest.</exception>
    public SyncRequest Parse()
    {
        if (_telemetry is null)
        {
            return _parsed!;
        }

        try
        {
            return SyncRequest.Parser.ParseFrom(_telemetry);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"The request is not a valid {nameof(SyncRequest)} message: {e.Message}"));
        }
    }

    private static SyncRequestFrame Decode(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        if (payload.Length > 0 && FirstByte(payload) == TelemetryTag)
        {
            return new SyncRequestFrame(null, payload.ToArray());
        }

        return new SyncRequestFrame(StrictDecoding.Decode(static c => SyncRequest.Parser.ParseFrom(c.PayloadAsReadOnlySequence()), context), null);
    }

    private static byte FirstByte(ReadOnlySequence<byte> payload)
    {
        Span<byte> first = stackalloc byte[1];
        payload.Slice(0, 1).CopyTo(first);
        return first[0];
    }
}
