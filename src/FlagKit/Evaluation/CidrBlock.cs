using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace FlagKit.Evaluation;

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
