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
/// <para>A summary is recognised by the message's first byte, the tag of <c>SyncRequest.telemetry</c> (field 3, length
/// delimited), as every protobuf encoder writes a one-field message. A request whose telemetry field comes after
/// another field is parsed at once; <see cref="TelemetryGateReader"/> still charges it to the limit before using it.</para>
/// <para>The summary's bytes are copied into a buffer rented from <see cref="ArrayPool{T}.Shared"/> (gRPC's own buffer
/// is released when the decoder returns) and given back when the frame is parsed or dropped (<see cref="Release"/>):
/// a dropped summary allocates nothing. Not thread safe: a frame is consumed by its stream's reader.</para>
/// </remarks>
internal sealed class SyncRequestFrame
{
    /// <summary>The first byte of a <c>SyncRequest</c> that carries a <c>TelemetrySummary</c>: field 3, wire type 2.</summary>
    public const byte TelemetryTag = (SyncRequest.TelemetryFieldNumber << 3) | 2;

    /// <summary>The marshaller of the Sync method's requests (the wire format is exactly the generated <c>SyncRequest</c>'s).</summary>
    public static readonly Marshaller<SyncRequestFrame> Marshaller = new(
        static (frame, context) => context.Complete(frame._telemetry is { } bytes ? bytes.AsSpan(0, frame._length).ToArray() : frame._parsed!.ToByteArray()),
        Decode);

    private readonly SyncRequest? _parsed;
    private readonly int _length;
    private byte[]? _telemetry;

    private SyncRequestFrame(SyncRequest? parsed, byte[]? telemetry, int length)
    {
        _parsed = parsed;
        _telemetry = telemetry;
        _length = length;
    }

    /// <summary>Whether the frame holds a telemetry summary, still unparsed (false once parsed or released).</summary>
    public bool IsTelemetry => _telemetry is not null;

    /// <summary>The message: the parsed one, or the summary parsed now (its buffer then given back).</summary>
    /// <returns>The request.</returns>
    /// <exception cref="RpcException">INVALID_ARGUMENT: the bytes are not a SyncRequest.</exception>
    /// <exception cref="InvalidOperationException">The summary was released unparsed.</exception>
    public SyncRequest Parse()
    {
        if (_parsed is not null)
        {
            return _parsed;
        }

        var bytes = _telemetry ?? throw new InvalidOperationException("The summary was dropped; its bytes are gone.");
        try
        {
            return SyncRequest.Parser.ParseFrom(bytes, 0, _length);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"The request is not a valid {nameof(SyncRequest)} message: {e.Message}"));
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Gives an unparsed summary's buffer back (the summary is dropped); nothing for a parsed frame.</summary>
    public void Release()
    {
        if (_telemetry is { } bytes)
        {
            _telemetry = null;
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>
    /// A frame of a message read by the direct transport into a buffer rented from <see cref="ArrayPool{T}.Shared"/>:
    /// a summary keeps the buffer (given back when parsed or dropped), anything else is parsed now and the buffer given back.
    /// </summary>
    /// <param name="rented">The message bytes (the frame owns the buffer from here).</param>
    /// <param name="length">Bytes of the message.</param>
    /// <returns>The frame.</returns>
    /// <exception cref="RpcException">INVALID_ARGUMENT: the bytes are not a SyncRequest.</exception>
    public static SyncRequestFrame FromRented(byte[] rented, int length)
    {
        if (length > 0 && rented[0] == TelemetryTag)
        {
            return new SyncRequestFrame(null, rented, length);
        }

        try
        {
            return new SyncRequestFrame(SyncRequest.Parser.ParseFrom(rented, 0, length), null, 0);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"The request is not a valid {nameof(SyncRequest)} message: {e.Message}"));
        }
        finally
        {
            if (rented.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static SyncRequestFrame Decode(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        if (payload.Length > 0 && FirstByte(payload) == TelemetryTag)
        {
            // Bounded by the method's MaxReceiveMessageSize (MaxSyncRequestBytes), checked before this runs.
            var length = checked((int)payload.Length);
            var bytes = ArrayPool<byte>.Shared.Rent(length);
            payload.CopyTo(bytes);
            return new SyncRequestFrame(null, bytes, length);
        }

        return new SyncRequestFrame(StrictDecoding.Decode(static c => SyncRequest.Parser.ParseFrom(c.PayloadAsReadOnlySequence()), context), null, 0);
    }

    private static byte FirstByte(ReadOnlySequence<byte> payload)
    {
        Span<byte> first = stackalloc byte[1];
        payload.Slice(0, 1).CopyTo(first);
        return first[0];
    }
}
