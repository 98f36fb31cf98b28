using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace FlagKit.Evaluation;

/// <summary>
/// MurmurHash3 x86 32-bit (Austin Appleby's reference <c>MurmurHash3_x86_32</c>), and the sticky bucket built on it.
/// </summary>
/// <remarks>
/// The bucketing algorithm is part of the evaluation contract (see docs/bucketing.md): every SDK computes
/// <c>MurmurHash3_x86_32(utf8(salt + "/" + key), seed: 0) mod 10 000</c>. Changing anything here moves players
/// between variants. Allocation-free. The salt is hashed once, when the flag is compiled (<see cref="Prefix(string)"/>); an
/// ASCII key (the usual account id) is then hashed straight from its characters, and any other key is encoded to
/// UTF-8 in a stack buffer first. Both paths give the reference result.
/// </remarks>
internal static class MurmurHash3
{
    /// <summary>The number of buckets: one bucket is 0.01 %.</summary>
    public const int BucketCount = 10_000;

    private const int StackLimit = 512;

    private const uint C1 = 0xcc9e2d51;
    private const uint C2 = 0x1b873593;

    /// <summary>Hashes bytes with MurmurHash3 x86 32-bit.</summary>
    public static uint Hash32(ReadOnlySpan<byte> data, uint seed = 0)
    {
        var state = Prefix(data, seed);
        return Finish(state.State, state.Pending, state.PendingLength, state.Length);
    }

    /// <summary>
    /// The hash state after the salt's bytes (<c>salt + "/"</c>; bucketing uses seed 0): the full 4-byte blocks mixed in, the last
    /// 0 to 3 bytes pending. Computed once per split when the flag is compiled.
    /// </summary>
    public static MurmurPrefix Prefix(string salt)
    {
        var length = Encoding.UTF8.GetMaxByteCount(salt.Length) + 1;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : new byte[length];
        var written = Encoding.UTF8.GetBytes(salt, buffer);
        buffer[written++] = (byte)'/';
        return Prefix(buffer[..written]);
    }

    /// <summary>As <see cref="Prefix(string)"/>, from the bytes (<paramref name="seed"/> 0 for bucketing).</summary>
    public static MurmurPrefix Prefix(ReadOnlySpan<byte> saltAndSlashUtf8, uint seed = 0)
    {
        var h = seed;
        var blocks = saltAndSlashUtf8.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            h = Block(h, BinaryPrimitives.ReadUInt32LittleEndian(saltAndSlashUtf8.Slice(i * 4, 4)));
        }

        var tail = saltAndSlashUtf8[(blocks * 4)..];
        uint pending = 0;
        for (var i = tail.Length - 1; i >= 0; i--)
        {
            pending = (pending << 8) | tail[i];
        }

        return new MurmurPrefix(h, pending, tail.Length, saltAndSlashUtf8.Length);
    }

    /// <summary>
    /// The bucket (0 to 9 999) of <paramref name="key"/> after <paramref name="prefix"/>; the same as hashing the UTF-8
    /// of <c>salt + "/" + key</c>. ASCII keys are hashed from their characters four at a time, without encoding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bucket(in MurmurPrefix prefix, string salt, string key)
    {
        ref var first = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(key.AsSpan()));
        var length = key.Length;
        var h = prefix.State;

        // The bytes not yet mixed: `carry` holds `shift / 8` of them (0 to 3) in its low bits. Each step below takes in
        // whole blocks' worth of bytes (8 or 4) and mixes as many, so the number pending only changes in the tail.
        ulong carry = prefix.Pending;
        var shift = prefix.PendingLength * 8;
        var i = 0;

        // Eight characters at a time, narrowed to their eight UTF-8 bytes in one vector step (ASCII only).
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= length - 8; i += 8)
            {
                var chars = Vector128.LoadUnsafe(ref first, (nuint)i);
                if ((chars & Vector128.Create((ushort)0xFF80)) != Vector128<ushort>.Zero)
                {
                    return Bucket(salt, key);
                }

                var eight = Vector128.Narrow(chars, chars).AsUInt64().ToScalar();
                var stream = carry | (eight << shift);
                h = Block(Block(h, (uint)stream), (uint)(stream >> 32));
                carry = shift == 0 ? 0 : eight >> (64 - shift);
            }
        }

        // Four at a time (one per 16 bits), packed one per 8 bits.
        for (; i <= length - 4; i += 4)
        {
            var chars = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref first, i)));
            if ((chars & 0xFF80_FF80_FF80_FF80UL) != 0)
            {
                return Bucket(salt, key);
            }

            var bytes = (uint)(chars & 0xFF) | ((uint)(chars >> 8) & 0xFF00) | ((uint)(chars >> 16) & 0xFF_0000) | ((uint)(chars >> 24) & 0xFF00_0000);
            carry |= (ulong)bytes << shift;
            h = Block(h, (uint)carry);
            carry >>= 32;
        }

        // The last 0 to 3 characters, in one step.
        var rest = length - i;
        if (rest != 0)
        {
            uint c0 = Unsafe.Add(ref first, i);
            uint c1 = rest > 1 ? Unsafe.Add(ref first, i + 1) : 0u;
            uint c2 = rest > 2 ? Unsafe.Add(ref first, i + 2) : 0u;
            if ((c0 | c1 | c2) >= 0x80)
            {
                return Bucket(salt, key);
            }

            carry |= (ulong)(c0 | (c1 << 8) | (c2 << 16)) << shift;
            shift += rest * 8;
            if (shift >= 32)
            {
                h = Block(h, (uint)carry);
                carry >>= 32;
                shift -= 32;
            }
        }

        return (int)(Finish(h, (uint)carry, shift / 8, prefix.Length + length) % BucketCount);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Block(uint h, uint k)
    {
        k *= C1;
        k = BitOperations.RotateLeft(k, 15);
        k *= C2;
        h ^= k;
        h = BitOperations.RotateLeft(h, 13);
        return (h * 5) + 0xe6546b64;
    }

    // The tail (`tailLength` bytes packed little-endian in `tail`) and the finalizer.
    private static uint Finish(uint h, uint tail, int tailLength, int totalLength)
    {
        if (tailLength != 0)
        {
            tail *= C1;
            tail = BitOperations.RotateLeft(tail, 15);
            tail *= C2;
            h ^= tail;
        }

        h ^= (uint)totalLength;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }

    /// <summary>
    /// The bucket (0 to 9 999) of <paramref name="key"/> under <paramref name="salt"/>, hashing the UTF-8 of the whole
    /// <c>salt + "/" + key</c>: the reference path (keys that are not ASCII, tests, tools). Allocation-free: the
    /// text is encoded into a stack buffer (a pooled one past 512 bytes).
    /// </summary>
    public static int Bucket(string salt, string key)
    {
        var length = Encoding.UTF8.GetMaxByteCount(salt.Length) + 1 + Encoding.UTF8.GetMaxByteCount(key.Length);
        if (length > StackLimit)
        {
            return BucketLong(salt, key, length);
        }

        // The common case: no try/finally, no pool, just a small stack buffer.
        Span<byte> buffer = stackalloc byte[length];
        return BucketIn(buffer, salt, key);
    }

    private static int BucketLong(string salt, string key, int length)
    {
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            return BucketIn(rented, salt, key);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int BucketIn(Span<byte> buffer, string salt, string key)
    {
        var written = Encoding.UTF8.GetBytes(salt, buffer);
        buffer[written++] = (byte)'/';
        written += Encoding.UTF8.GetBytes(key, buffer[written..]);
        return (int)(Hash32(buffer[..written]) % BucketCount);
    }
}
