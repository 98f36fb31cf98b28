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

/// <summary>A parsed CIDR block (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>); a bare address is a /32 or /128.</summary>
internal readonly struct CidrBlock
{
    private CidrBlock(UInt128 network, UInt128 mask, bool isV4)
    {
        Network = network;
        Mask = mask;
        IsV4 = isV4;
    }

    public UInt128 Network { get; }

    public UInt128 Mask { get; }

    public bool IsV4 { get; }

    public bool Contains(in IpValue ip) => ip.IsV4 == IsV4 && (ip.Bits & Mask) == Network;

    public static bool TryParse(string text, out CidrBlock block, out string? error)
    {
        block = default;
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text.AsSpan() : text.AsSpan(0, slash);
        if (!IpValue.TryParse(addressText, out var address))
        {
            error = $"'{text}' is not a CIDR block: '{addressText}' is not an IPv4 or IPv6 address";
            return false;
        }

        var width = address.IsV4 ? 32 : 128;
        var prefix = width;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > width))
        {
            error = $"'{text}' is not a CIDR block: the prefix length must be 0 to {width}";
            return false;
        }

        UInt128 all = address.IsV4 ? uint.MaxValue : UInt128.MaxValue;
        var mask = prefix == 0 ? UInt128.Zero : (all << (width - prefix)) & all;
        if ((address.Bits & ~mask) != 0)
        {
            error = $"'{text}' is not a CIDR block: the address has bits set beyond the /{prefix} prefix";
            return false;
        }

        block = new CidrBlock(address.Bits, mask, address.IsV4);
        error = null;
        return true;
    }
}
