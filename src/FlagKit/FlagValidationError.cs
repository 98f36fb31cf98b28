namespace FlagKit;

/// <summary>
/// One problem found while validating a flags file or document: which document, where in it, and what is wrong.
/// </summary>
/// <remarks>Immutable and thread safe.</remarks>
public sealed class FlagValidationError
{
    internal FlagValidationError(string document, string path, string message)
    {
        Document = document;
        Path = path;
        Message = message;
    }

    /// <summary>The document at fault, e.g. <c>flag 'new-bonus-engine'</c>, <c>segment 'vip'</c> or <c>file 'flags.json'</c>.</summary>
    public string Document { get; }

    /// <summary>The JSON path of the offending value, e.g. <c>$.flags[2].rules[0].conditions[1].op</c>.</summary>
    public string Path { get; }

    /// <summary>What is wrong, in a sentence.</summary>
    public string Message { get; }

    /// <summary>Formats the error as <c>{Document} at {Path}: {Message}</c>.</summary>
    /// <returns>The formatted error.</returns>
    public override string ToString() => $"{Document} at {Path}: {Message}";
}
