using System.Buffers;
using System.Buffers.Binary;

namespace FlagKit.Server.Sync.Direct;

/// <summary>An HTTP/2 frame header (RFC 9113, section 4.1) and the constants of the frames this server reads and writes.</summary>
/// <param name="Length">Payload bytes.</param>
/// <param name="Type">The frame type (unknown types are kept as read).</param>
/// <param name="Flags">The flags byte.</param>
/// <param name="StreamId">The stream (0: the connection).</param>
internal readonly record struct Http2Frame(int Length, Http2FrameType Type, byte Flags, int StreamId)
{
    /// <summary>Bytes of a frame header.</summary>
    public const int HeaderLength = 9;

    /// <summary>END_STREAM (DATA, HEADERS).</summary>
    public const byte EndStream = 0x1;

    /// <summary>ACK (SETTINGS, PING).</summary>
    public const byte Ack = 0x1;

    /// <summary>END_HEADERS (HEADERS, CONTINUATION).</summary>
    public const byte EndHeaders = 0x4;

    /// <summary>PADDED (DATA, HEADERS).</summary>
    public const byte Padded = 0x8;

    /// <summary>PRIORITY (HEADERS).</summary>
    public const byte PriorityFlag = 0x20;

    /// <summary>The default and smallest SETTINGS_MAX_FRAME_SIZE.</summary>
    public const int DefaultMaxFrameSize = 16384;

    /// <summary>The largest flow-control window (2^31 - 1).</summary>
    public const int MaxWindow = int.MaxValue;

    /// <summary>The initial flow-control window of a stream and of the connection.</summary>
    public const int DefaultWindow = 65535;

    /// <summary>The client connection preface (RFC 9113, section 3.4).</summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>Reads a frame header from the start of <paramref name="buffer"/> (which holds at least <see cref="HeaderLength"/> bytes).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <returns>The header.</returns>
    public static Http2Frame Read(ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        buffer.Slice(0, HeaderLength).CopyTo(header);
        return Read(header);
    }

    /// <summary>Reads a frame header.</summary>
    /// <param name="header">Nine bytes.</param>
    /// <returns>The header.</returns>
    public static Http2Frame Read(ReadOnlySpan<byte> header) => new(
        (header[0] << 16) | (header[1] << 8) | header[2],
        (Http2FrameType)header[3],
        header[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFF_FFFF));

    /// <summary>Writes a frame header.</summary>
    /// <param name="destination">Nine bytes or more.</param>
    /// <param name="length">Payload bytes.</param>
    /// <param name="type">The type.</param>
    /// <param name="flags">The flags.</param>
    /// <param name="streamId">The stream.</param>
    public static void Write(Span<byte> destination, int length, Http2FrameType type, byte flags, int streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = (byte)type;
        destination[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)streamId);
    }

    /// <summary>
    /// The content of a DATA or HEADERS frame: its padding (PADDED) and, for HEADERS, its priority fields (PRIORITY)
    /// removed; any other frame's payload as it is.
    /// </summary>
    /// <param name="payload">The frame's payload.</param>
    /// <param name="content">The content.</param>
    /// <returns>Null, or what is wrong with the frame (a PROTOCOL_ERROR).</returns>
    public string? TryGetContent(ReadOnlySequence<byte> payload, out ReadOnlySequence<byte> content)
    {
        content = payload;
        if (Type is not (Http2FrameType.Data or Http2FrameType.Headers))
        {
            return null;
        }

        if (Has(Padded))
        {
            if (content.Length < 1)
            {
                return $"A padded {Type} frame without its pad length.";
            }

            var pad = content.FirstSpan[0];
            if (pad >= content.Length)
            {
                return $"A {Type} frame's padding ({pad}) is not shorter than its payload.";
            }

            content = content.Slice(1, content.Length - 1 - pad);
        }

        if (Type == Http2FrameType.Headers && Has(PriorityFlag))
        {
            if (content.Length < 5)
            {
                return "HEADERS with PRIORITY shorter than its priority fields.";
            }

            content = content.Slice(5);
        }

        return null;
    }

    /// <summary>Whether a flag is set.</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>True when set.</returns>
    public bool Has(byte flag) => (Flags & flag) != 0;
}
