using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace FlagKit.Evaluation;

/// <summary>An IP address as a 128-bit number (IPv4 in the low 32 bits), comparable with a <see cref="CidrBlock"/> without allocating.</summary>
internal readonly struct IpValue
{
    public IpValue(UInt128 bits, bool isV4)
    {
        Bits = bits;
        IsV4 = isV4;
    }

    public UInt128 Bits { get; }

    public bool IsV4 { get; }

    /// <summary>Parses an IPv4 or IPv6 address; an IPv4-mapped IPv6 address (<c>::ffff:10.0.0.1</c>) counts as IPv4.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IpValue value)
    {
        value = default;
        if (text.IsEmpty || text.Contains('/') || !IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return false;
        }

        value = address.AddressFamily == AddressFamily.InterNetwork
            ? new IpValue(BinaryPrimitives.ReadUInt32BigEndian(bytes), isV4: true)
            : new IpValue(BinaryPrimitives.ReadUInt128BigEndian(bytes[..written]), isV4: false);
        return true;
    }
}
