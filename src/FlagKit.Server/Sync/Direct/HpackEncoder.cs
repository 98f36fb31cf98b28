using System.Text;

namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// Writes the few HPACK representations the server's responses need (RFC 7541): the indexed ":status: 200" and
/// literal fields without indexing, with a literal name and raw strings. It never adds to the peer's dynamic table,
/// so it keeps no state and the peer's table stays empty.
/// </summary>
internal static class HpackEncoder
{
    /// <summary>The indexed field representation (1xxxxxxx) of static entry 8, ":status: 200".</summary>
    private const byte Status200 = 0x80 | 8;

    /// <summary>Literal header field without indexing, new name (RFC 7541 section 6.2.2: 0000, index 0).</summary>
    private const byte LiteralWithoutIndexing = 0x00;

    /// <summary>Writes ":status: 200" as static index 8.</summary>
    /// <param name="destination">Where to write (at least 1 byte).</param>
    /// <returns>Bytes written: 1.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is empty.</exception>
    public static int WriteStatus200(Span<byte> destination)
    {
        if (destination.IsEmpty)
        {
            throw new ArgumentException("HPACK: no room for :status 200 (1 byte needed).", nameof(destination));
        }

        destination[0] = Status200;
        return 1;
    }

    /// <summary>
    /// Writes a literal header field without indexing (RFC 7541 section 6.2.2) with a literal name; name and value
    /// are raw (not Huffman-coded) ASCII.
    /// </summary>
    /// <param name="destination">Where to write (at least <see cref="LiteralLength"/> bytes).</param>
    /// <param name="name">The field name: lower-case visible ASCII (HTTP/2 forbids upper case in names).</param>
    /// <param name="value">The field value: visible ASCII, space and tab.</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small, or the name or value holds a
    /// character not allowed.</exception>
    public static int WriteLiteral(Span<byte> destination, string name, string value)
    {
        var length = LiteralLength(name, value);
        if (destination.Length < length)
        {
            throw new ArgumentException(
                $"HPACK: the literal field '{name}' needs {length} bytes, the destination holds {destination.Length}.", nameof(destination));
        }

        destination[0] = LiteralWithoutIndexing;
        var written = 1;
        written += WriteString(destination[written..], name);
        written += WriteString(destination[written..], value);
        return written;
    }

    /// <summary>Bytes <see cref="WriteLiteral"/> writes for a field.</summary>
    /// <param name="name">The field name: lower-case visible ASCII.</param>
    /// <param name="value">The field value: visible ASCII, space and tab.</param>
    /// <returns>The length.</returns>
    /// <exception cref="ArgumentException">The name or value holds a character not allowed.</exception>
    public static int LiteralLength(string name, string value)
    {
        CheckName(name);
        CheckValue(value);
        return 1 + HpackInteger.Length(name.Length, 7) + name.Length + HpackInteger.Length(value.Length, 7) + value.Length;
    }

    private static int WriteString(Span<byte> destination, string text)
    {
        var written = HpackInteger.Encode(destination, text.Length, 7, flags: 0);
        written += Encoding.ASCII.GetBytes(text, destination[written..]);
        return written;
    }

    private static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            throw new ArgumentException("HPACK: a header field name is empty.", nameof(name));
        }

        foreach (var c in name)
        {
            if (c is <= ' ' or > '~' or (>= 'A' and <= 'Z'))
            {
                throw new ArgumentException($"HPACK: the header field name '{name}' holds '{c}' (U+{(int)c:X4}); names are lower-case visible ASCII.", nameof(name));
            }
        }
    }

    private static void CheckValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (c is (< ' ' and not '\t') or > '~')
            {
                throw new ArgumentException($"HPACK: a header field value holds U+{(int)c:X4}; values are visible ASCII, space and tab.", nameof(value));
            }
        }
    }
}
