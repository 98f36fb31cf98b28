using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FlagKit.Documents;

namespace FlagKit.Compilation;

/// <summary>
/// Reads and writes flag documents as UTF-8 JSON: the same bytes ops write in a flags file, the server stores,
/// the sync stream carries and the disk cache keeps.
/// </summary>
/// <remarks>
/// Parsing checks JSON syntax and shape only (a property of the wrong JSON type, a duplicate property); the meaning
/// of a document is checked by <see cref="SnapshotBuilder"/>. Thread safe.
/// </remarks>
internal static class FlagJson
{
    // The source-generated metadata, with duplicate properties refused: in a hand-edited file, a second
    // "on" or a variant named twice is a mistake, and silently taking the last one would hide it.
    private static readonly FlagJsonContext Strict = new(new JsonSerializerOptions(FlagJsonContext.Default.Options)
    {
        AllowDuplicateProperties = false,
    });

    private static readonly FlagJsonContext Compact = new(new JsonSerializerOptions(FlagJsonContext.Default.Options)
    {
        WriteIndented = false,
    });

    /// <summary>Parses a flags file.</summary>
    /// <param name="utf8">The file's bytes.</param>
    /// <param name="source">Names the file in error messages (e.g. its path).</param>
    /// <returns>The parsed file.</returns>
    /// <exception cref="FlagValidationException">The bytes are not a well-formed flags file (the error names path and line).</exception>
    public static FlagFile ParseFile(ReadOnlySpan<byte> utf8, string source) => Parse(utf8, Strict.FlagFile, $"file '{source}'");

    /// <summary>Parses one flag document.</summary>
    /// <param name="utf8">The document's bytes.</param>
    /// <returns>The parsed document.</returns>
    /// <exception cref="FlagValidationException">The bytes are not a well-formed flag document.</exception>
    public static FlagDocument ParseFlag(ReadOnlySpan<byte> utf8) => Parse(utf8, Strict.FlagDocument, "flag document");

    /// <summary>Parses one segment document.</summary>
    /// <param name="utf8">The document's bytes.</param>
    /// <returns>The parsed document.</returns>
    /// <exception cref="FlagValidationException">The bytes are not a well-formed segment document.</exception>
    public static SegmentDocument ParseSegment(ReadOnlySpan<byte> utf8) => Parse(utf8, Strict.SegmentDocument, "segment document");

    /// <summary>Writes a flags file (indented, as ops read it).</summary>
    /// <param name="file">The file.</param>
    /// <returns>UTF-8 JSON.</returns>
    public static byte[] SerializeFile(FlagFile file) => JsonSerializer.SerializeToUtf8Bytes(file, FlagJsonContext.Default.FlagFile);

    /// <summary>Writes one flag document (compact, as it travels and is stored).</summary>
    /// <param name="flag">The document.</param>
    /// <returns>UTF-8 JSON.</returns>
    public static byte[] SerializeFlag(FlagDocument flag) => JsonSerializer.SerializeToUtf8Bytes(flag, Compact.FlagDocument);

    /// <summary>Writes one segment document (compact, as it travels and is stored).</summary>
    /// <param name="segment">The document.</param>
    /// <returns>UTF-8 JSON.</returns>
    public static byte[] SerializeSegment(SegmentDocument segment) => JsonSerializer.SerializeToUtf8Bytes(segment, Compact.SegmentDocument);

    /// <summary>A deep copy of a flag document, so that later edits of the original cannot reach a snapshot.</summary>
    public static FlagDocument Clone(FlagDocument flag) => JsonSerializer.Deserialize(SerializeFlag(flag), Compact.FlagDocument)!;

    /// <summary>A deep copy of a segment document.</summary>
    public static SegmentDocument Clone(SegmentDocument segment) => JsonSerializer.Deserialize(SerializeSegment(segment), Compact.SegmentDocument)!;

    /// <summary>A deep copy of a flags file.</summary>
    public static FlagFile Clone(FlagFile file) => JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(file, Compact.FlagFile), Compact.FlagFile)!;

    private static T Parse<T>(ReadOnlySpan<byte> utf8, JsonTypeInfo<T> typeInfo, string document)
        where T : class
    {
        // Editors on Windows like to start UTF-8 files with a byte order mark; it is not JSON, so skip it.
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            utf8 = utf8[3..];
        }

        // System.Text.Json checks UTF-8 only when it decodes a string; inside a JsonElement (variant values, condition
        // operands) invalid bytes would survive parsing and throw later, in the compiler. Refuse them here, as bad input.
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new FlagValidationException([new FlagValidationError(document, "$", $"invalid UTF-8 (byte offset {FirstInvalidUtf8(utf8)})")]);
        }

        // The same for a \u escape of half a UTF-16 surrogate pair ("\ud800" alone): valid JSON syntax, but no text; it
        // survives parsing inside a JsonElement and throws wherever the string is read.
        if (FirstUnpairedSurrogateEscape(utf8) is var offset and >= 0)
        {
            throw new FlagValidationException([new FlagValidationError(
                document, "$", $"invalid string: '{Encoding.UTF8.GetString(utf8.Slice(offset, 6))}' is half of a UTF-16 surrogate pair (byte offset {offset})")]);
        }

        try
        {
            return JsonSerializer.Deserialize(utf8, typeInfo)
                ?? throw new FlagValidationException([new FlagValidationError(document, "$", "expected a JSON object, found null")]);
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1})" : "";
            throw new FlagValidationException([new FlagValidationError(document, path, $"invalid JSON{where}: {FirstSentence(ex.Message)}")], ex);
        }
    }

    // The byte offset of the first \uD800-\uDBFF escape not followed by a \uDC00-\uDFFF one, or of a low one alone;
    // -1 when there is none. Other escapes are stepped over whole, so "\\ud800" (an escaped backslash) is not one.
    private static int FirstUnpairedSurrogateEscape(ReadOnlySpan<byte> utf8)
    {
        for (var i = utf8.IndexOf((byte)'\\'); i >= 0 && i < utf8.Length - 1; i++)
        {
            if (utf8[i] != '\\')
            {
                continue;
            }

            if (utf8[i + 1] != 'u' || !TryReadHex(utf8, i + 2, out var unit))
            {
                i++; // \n, \", \\ ... (a malformed \u is the parser's to report)
                continue;
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (i + 11 < utf8.Length && utf8[i + 6] == '\\' && utf8[i + 7] == 'u' && TryReadHex(utf8, i + 8, out var low) && low is >= 0xDC00 and <= 0xDFFF)
                {
                    i += 11;
                    continue;
                }

                return i;
            }

            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return i;
            }

            i += 5;
        }

        return -1;
    }

    private static bool TryReadHex(ReadOnlySpan<byte> utf8, int start, out int value)
    {
        value = 0;
        return start + 4 <= utf8.Length && int.TryParse(utf8.Slice(start, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        System.Text.Unicode.Utf8.ToUtf16(utf8, new char[utf8.Length], out var valid, out _, replaceInvalidSequences: false);
        return valid;
    }

    // System.Text.Json appends "Path: ... | LineNumber: ..." to its messages; we report those ourselves.
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
