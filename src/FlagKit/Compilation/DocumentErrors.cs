namespace FlagKit.Compilation;

/// <summary>The validation errors of one document, each naming the document and the JSON path.</summary>
/// <remarks>Allocates nothing until the first error: every valid document of a build creates one.</remarks>
internal sealed class DocumentErrors
{
    private readonly string _kind;
    private string? _key;
    private List<FlagValidationError>? _errors;
    private string? _document;

    private DocumentErrors(string kind, string? key)
    {
        _kind = kind;
        _key = key;
    }

    /// <summary>Names the document, e.g. <c>flag 'new-bonus-engine'</c>.</summary>
    public string Document => _document ??= string.IsNullOrEmpty(_key) ? $"{_kind} <no key>" : $"{_kind} '{_key}'";

    public int Count => _errors?.Count ?? 0;

    public IReadOnlyList<FlagValidationError> Items => _errors ?? [];

    public static DocumentErrors ForFlag(string? key) => new("flag", key);

    public static DocumentErrors ForSegment(string? key) => new("segment", key);

    /// <summary>This list, empty, for another document of the same kind; <see langword="null"/> when it holds errors.</summary>
    public DocumentErrors? Reuse(string? key)
    {
        if (Count != 0)
        {
            return null;
        }

        _key = key;
        _document = null;
        return this;
    }

    public void Add(string path, string message) => (_errors ??= []).Add(new FlagValidationError(Document, path, message));

    public void Add(in JsonPath path, string message) => Add(path.ToString(), message);

    public string Describe() => string.Join("\n", Items);
}
