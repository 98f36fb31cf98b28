using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace FlagKit.Evaluation;

/// <summary>
/// MurmurHash3 x86 32-bit (Austin Appleby's reference <c>MurmurHash3_x86_32</c>), and the sticky bucket built on it.
/// </summary>
/// <remarks>
/// The bucketing algorithm is part of the evaluation contract (see docs/bucketing.md): every SDK computes
/// <c>MurmurHash3_x86_32(utf8(salt + "/" + key), seed: 0) mod 10 000</c>. Changing anything here moves players
/// between variants. Allocation-free: the key is encoded into a stack buffer.
/// </remarks>
internal static class MurmurHash3
{
    /// <summary>The number of buckets: one bucket is 0.01 %.</summary>
    public const int BucketCount = 10_000;

    private const int StackLimit = 512;

    /// <summary>Hashes bytes with MurmurHash3 x86 32-bit.</summary>
    public static uint Hash32(ReadOnlySpan<byte> data, uint seed = 0)
    {
        const uint c1 = 0xcc9e2d51;
        const uint c2 = 0x1b873593;
        var h = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= c1;
            k = BitOperations.RotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = BitOperations.RotateLeft(h, 13);
            h = (h * 5) + 0xe6546b64;
        }

        var tail = data[(blocks * 4)..];
        uint k1 = 0;
        switch (tail.Length)
        {
            case 3:
                k1 ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                k1 ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                k1 ^= tail[0];
                k1 *= c1;
                k1 = BitOperations.RotateLeft(k1, 15);
                k1 *= c2;
                h ^= k1;
                break;
        }

        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }

    /// <summary>
    /// The bucket (0 to 9 999) of <paramref name="key"/> under a salt, given the UTF-8 bytes of <c>salt + "/"</c>
    /// (precomputed when the flag is compiled).
    /// </summary>
    public static int Bucket(ReadOnlySpan<byte> saltAndSlashUtf8, string key)
    {
        var length = saltAndSlashUtf8.Length + Encoding.UTF8.GetMaxByteCount(key.Length);
        if (length > StackLimit)
        {
            return BucketLong(saltAndSlashUtf8, key, length);
        }

        // The common case: no try/finally, no pool, just a small stack buffer.
        Span<byte> buffer = stackalloc byte[length];
        return BucketIn(buffer, saltAndSlashUtf8, key);
    }

    private static int BucketLong(ReadOnlySpan<byte> saltAndSlashUtf8, string key, int length)
    {
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            return BucketIn(rented, saltAndSlashUtf8, key);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int BucketIn(Span<byte> buffer, ReadOnlySpan<byte> saltAndSlashUtf8, string key)
    {
        saltAndSlashUtf8.CopyTo(buffer);
        var written = Encoding.UTF8.GetBytes(key, buffer[saltAndSlashUtf8.Length..]);
        return (int)(Hash32(buffer[..(saltAndSlashUtf8.Length + written)]) % BucketCount);
    }

    /// <summary>The bucket of <paramref name="key"/> under <paramref name="salt"/> (convenience for tests and tools).</summary>
    public static int Bucket(string salt, string key) => Bucket(Encoding.UTF8.GetBytes(salt + "/"), key);
}
