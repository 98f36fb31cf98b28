namespace FlagKit.Compilation;

/// <summary>
/// A document the lenient build or a delta could not apply: which one, and why. The document keeps its last good
/// compiled version when there is one, else it serves the caller's default with reason ERROR.
/// </summary>
/// <param name="IsSegment">Whether the document is a segment (else a flag).</param>
/// <param name="Key">The document's key.</param>
/// <param name="Reason">Every validation error, one per line.</param>
internal sealed record DocumentFailure(bool IsSegment, string Key, string Reason);
