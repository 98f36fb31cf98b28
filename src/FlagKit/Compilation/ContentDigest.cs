using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using FlagKit.Documents;

namespace FlagKit.Compilation;

/// <summary>
/// The content of an environment as one value that a change updates in O(change): the sum, modulo 2<sup>256</sup>, of
/// the SHA-256 of every document (<c>"flag\n"</c> or <c>"segment\n"</c>, then its compact JSON), with the number of
/// flags and of segments. <see cref="ToHex"/> is the content hash (<see cref="FlagSnapshot.ContentHash"/>): the same
/// documents give the same hash whatever their order or revision.
/// </summary>
/// <remarks>
/// A server adds the digest of each document it writes and subtracts the one it replaces, instead of hashing the whole
/// environment per write (10 000 documents: several milliseconds). The hash is informative (a check that two copies
/// hold the same documents), not a defence against someone who crafts documents to collide.
/// </remarks>
/// <param name="Low">Low 128 bits of the sum.</param>
/// <param name="High">High 128 bits of the sum.</param>
/// <param name="Flags">How many flags are summed.</param>
/// <param name="Segments">How many segments are summed.</param>
internal readonly record struct ContentDigest(UInt128 Low, UInt128 High, int Flags, int Segments)
{
    /// <summary>No document.</summary>
    public static ContentDigest Empty => default;

    /// <summary>The digest of one flag, as <see cref="FlagJson.SerializeFlag"/> writes it.</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>Its digest.</returns>
    public static ContentDigest OfFlag(FlagDocument flag) => Of("flag\n"u8, FlagJson.SerializeFlag(flag), isSegment: false);

    /// <summary>The digest of one segment, as <see cref="FlagJson.SerializeSegment"/> writes it.</summary>
    /// <param name="segment">The segment.</param>
    /// <returns>Its digest.</returns>
    public static ContentDigest OfSegment(SegmentDocument segment) => Of("segment\n"u8, FlagJson.SerializeSegment(segment), isSegment: true);

    /// <summary>Both contents together.</summary>
    public static ContentDigest operator +(ContentDigest a, ContentDigest b)
    {
        var low = a.Low + b.Low;
        var carry = low < a.Low ? UInt128.One : UInt128.Zero;
        return new ContentDigest(low, a.High + b.High + carry, a.Flags + b.Flags, a.Segments + b.Segments);
    }

    /// <summary>The first content without the second (which it must contain).</summary>
    public static ContentDigest operator -(ContentDigest a, ContentDigest b)
    {
        var borrow = a.Low < b.Low ? UInt128.One : UInt128.Zero;
        return new ContentDigest(a.Low - b.Low, a.High - b.High - borrow, a.Flags - b.Flags, a.Segments - b.Segments);
    }

    /// <summary>Named operator for <c>+</c>.</summary>
    /// <param name="other">The content to add.</param>
    /// <returns>The sum.</returns>
    public ContentDigest Add(ContentDigest other) => this + other;

    /// <summary>Named operator for <c>-</c>.</summary>
    /// <param name="other">The content to take away.</param>
    /// <returns>The difference.</returns>
    public ContentDigest Subtract(ContentDigest other) => this - other;

    /// <summary>The content hash: lowercase hex SHA-256 of the sum and the counts.</summary>
    /// <returns>64 hex characters.</returns>
    public string ToHex()
    {
        Span<byte> state = stackalloc byte[40];
        BinaryPrimitives.WriteUInt128LittleEndian(state, Low);
        BinaryPrimitives.WriteUInt128LittleEndian(state[16..], High);
        BinaryPrimitives.WriteInt32LittleEndian(state[32..], Flags);
        BinaryPrimitives.WriteInt32LittleEndian(state[36..], Segments);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(state, hash);
        return Convert.ToHexStringLower(hash);
    }

    private static ContentDigest Of(ReadOnlySpan<byte> prefix, byte[] json, bool isSegment)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(prefix.Length + json.Length);
        try
        {
            prefix.CopyTo(buffer);
            json.CopyTo(buffer.AsSpan(prefix.Length));
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(buffer.AsSpan(0, prefix.Length + json.Length), hash);
            return new ContentDigest(
                BinaryPrimitives.ReadUInt128LittleEndian(hash), BinaryPrimitives.ReadUInt128LittleEndian(hash[16..]), isSegment ? 0 : 1, isSegment ? 1 : 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
