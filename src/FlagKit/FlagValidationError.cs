namespace FlagKit;

/// <summary>
/// One problem found while validating a flags file or document: which document, where in it, and what is wrong.
/// </summary>
/// <param name="Document">The document at fault, e.g. <c>flag 'new-bonus-engine'</c>, <c>segment 'vip'</c> or <c>file 'flags.json'</c>.</param>
/// <param name="Path">The JSON path of the offending value, e.g. <c>$.flags[2].rules[0].conditions[1].op</c>.</param>
/// <param name="Message">What is wrong, in a sentence.</param>
/// <remarks>Immutable and thread safe.</remarks>
public sealed record FlagValidationError(string Document, string Path, string Message)
{
    /// <summary>Formats the error as <c>{Document} at {Path}: {Message}</c>.</summary>
    /// <returns>The formatted error.</returns>
    public override string ToString() => $"{Document} at {Path}: {Message}";
}
