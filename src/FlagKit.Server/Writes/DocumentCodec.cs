using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Server.Writes;

/// <summary>
/// The server's use of the SDK's own JSON reader and compiler: one parser and one validator for SDK, server and CLI.
/// Failures become <see cref="WriteRefusal.Invalid"/> refusals with the SDK's message (document, JSON path, problem).
/// </summary>
internal static class DocumentCodec
{
    /// <summary>Parses a flag document.</summary>
    /// <param name="json">UTF-8 JSON.</param>
    /// <returns>The document.</returns>
    /// <exception cref="WriteRefusedException">Invalid with the parser's message.</exception>
    public static FlagDocument ParseFlag(ReadOnlySpan<byte> json) => Refuse(json, static j => FlagJson.ParseFlag(j));

    /// <summary>Parses a segment document.</summary>
    /// <param name="json">UTF-8 JSON.</param>
    /// <returns>The document.</returns>
    /// <exception cref="WriteRefusedException">Invalid with the parser's message.</exception>
    public static SegmentDocument ParseSegment(ReadOnlySpan<byte> json) => Refuse(json, static j => FlagJson.ParseSegment(j));

    /// <summary>Parses a flags file.</summary>
    /// <param name="json">UTF-8 JSON.</param>
    /// <returns>The file.</returns>
    /// <exception cref="WriteRefusedException">Invalid with the parser's message.</exception>
    public static FlagFile ParseFile(ReadOnlySpan<byte> json) => Refuse(json, static j => FlagJson.ParseFile(j, "request"));

    /// <summary>Writes a flag document as stored and sent (compact UTF-8 JSON).</summary>
    /// <param name="flag">The document.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Serialize(FlagDocument flag) => FlagJson.SerializeFlag(flag);

    /// <summary>Writes a segment document as stored and sent.</summary>
    /// <param name="segment">The document.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Serialize(SegmentDocument segment) => FlagJson.SerializeSegment(segment);

    /// <summary>Writes a flags file (indented, for people).</summary>
    /// <param name="file">The file.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Serialize(FlagFile file) => FlagJson.SerializeFile(file);

    /// <summary>A private, editable copy of a flag document.</summary>
    /// <param name="flag">The shared document.</param>
    /// <returns>A deep copy.</returns>
    public static FlagDocument Clone(FlagDocument flag) => FlagJson.ParseFlag(FlagJson.SerializeFlag(flag));

    /// <summary>A private, editable copy of a segment document.</summary>
    /// <param name="segment">The shared document.</param>
    /// <returns>A deep copy.</returns>
    public static SegmentDocument Clone(SegmentDocument segment) => FlagJson.ParseSegment(FlagJson.SerializeSegment(segment));

    /// <summary>
    /// Validates a would-be environment with the SDK's strict snapshot builder: every error in every document, or
    /// the compiled snapshot.
    /// </summary>
    /// <param name="candidate">The environment as it would be after the write.</param>
    /// <param name="revision">The revision it would get.</param>
    /// <returns>The compiled snapshot (its content hash is sent with Transferred).</returns>
    /// <exception cref="WriteRefusedException">Invalid with the compiler's message.</exception>
    public static FlagSnapshot Compile(FlagFile candidate, long revision)
    {
        try
        {
            return SnapshotBuilder.Build(candidate, revision);
        }
        catch (FlagValidationException e)
        {
            throw WriteRefusedException.Invalid(e.Message);
        }
    }

    /// <summary>
    /// Validates changed versions of existing flags against the last compiled snapshot, compiling only them (a state
    /// change: kill, enable…, whose flags name nothing new). Same errors and content hash as a full build.
    /// </summary>
    /// <param name="previous">The snapshot of the current revision.</param>
    /// <param name="flags">The changed flags (existing keys).</param>
    /// <param name="revision">The revision it would get.</param>
    /// <returns>The compiled snapshot.</returns>
    /// <exception cref="WriteRefusedException">Invalid with the compiler's message.</exception>
    public static FlagSnapshot CompileChangedFlags(FlagSnapshot previous, IReadOnlyList<FlagDocument> flags, long revision)
    {
        var failures = new List<DocumentFailure>();
        var snapshot = SnapshotBuilder.ApplyDelta(previous, revision, flags, [], [], [], failures);
        return failures.Count == 0
            ? snapshot
            : throw WriteRefusedException.Invalid(string.Join("\n", failures.Select(f => $"{(f.IsSegment ? "segment" : "flag")} '{f.Key}': {f.Reason}")));
    }

    private delegate T Parser<out T>(ReadOnlySpan<byte> json);

    private static T Refuse<T>(ReadOnlySpan<byte> json, Parser<T> parse)
    {
        try
        {
            return parse(json);
        }
        catch (FlagValidationException e)
        {
            throw WriteRefusedException.Invalid(e.Message);
        }
    }
}
