namespace FlagKit.Compilation;

/// <summary>The validation errors of one document, each naming the document and the JSON path.</summary>
internal sealed class DocumentErrors
{
    private readonly List<FlagValidationError> _errors = [];

    public DocumentErrors(string document)
    {
        Document = document;
    }

    /// <summary>Names the document, e.g. <c>flag 'new-bonus-engine'</c>.</summary>
    public string Document { get; }

    public int Count => _errors.Count;

    public IReadOnlyList<FlagValidationError> Items => _errors;

    public static DocumentErrors ForFlag(string? key) => new(string.IsNullOrEmpty(key) ? "flag <no key>" : $"flag '{key}'");

    public static DocumentErrors ForSegment(string? key) => new(string.IsNullOrEmpty(key) ? "segment <no key>" : $"segment '{key}'");

    public void Add(string path, string message) => _errors.Add(new FlagValidationError(Document, path, message));

    public string Describe() => string.Join("\n", _errors);
}
