using System.Text.Json;

namespace FlagKit.Modes;

/// <summary>Reads and writes the mode document as UTF-8 JSON (the bytes the server stores and the sync stream carries).</summary>
/// <remarks>Parsing checks syntax and shape; <see cref="ModeCompiler"/> checks meaning. Thread safe.</remarks>
internal static class ModeJson
{
    /// <summary>How errors name the document.</summary>
    public const string DocumentName = "modes";

    private static readonly ModeJsonContext Strict = new(new JsonSerializerOptions(ModeJsonContext.Default.Options)
    {
        AllowDuplicateProperties = false,
    });

    /// <summary>Parses a mode document.</summary>
    /// <param name="utf8">The bytes; empty reads as no modes.</param>
    /// <returns>The document.</returns>
    /// <exception cref="FlagValidationException">Not a well-formed mode document (the error names the JSON path).</exception>
    public static ModeDocument Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return new ModeDocument();
        }

        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw Error("$", "invalid UTF-8");
        }

        try
        {
            return JsonSerializer.Deserialize(utf8, Strict.ModeDocument) ?? throw Error("$", "expected a JSON object, found null");
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1})" : "";
            var message = ex.Message;
            var dot = message.IndexOf(". ", StringComparison.Ordinal);
            throw new FlagValidationException([new FlagValidationError(DocumentName, path, $"invalid JSON{where}: {(dot > 0 ? message[..(dot + 1)] : message)}")], ex);
        }
    }

    /// <summary>Writes a mode document (compact).</summary>
    /// <param name="document">The document.</param>
    /// <returns>UTF-8 JSON.</returns>
    public static byte[] Serialize(ModeDocument document) => JsonSerializer.SerializeToUtf8Bytes(document, ModeJsonContext.Default.ModeDocument);

    /// <summary>An error about the mode document.</summary>
    /// <param name="path">The JSON path.</param>
    /// <param name="message">What is wrong.</param>
    /// <returns>The exception.</returns>
    public static FlagValidationException Error(string path, string message) => new([new FlagValidationError(DocumentName, path, message)]);
}
