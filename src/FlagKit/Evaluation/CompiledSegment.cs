using FlagKit.Documents;

namespace FlagKit.Evaluation;

/// <summary>A segment compiled for evaluation: account sets hashed, rules compiled, segment references resolved.</summary>
/// <remarks>Immutable and thread safe; shared between snapshots while its document and its references do not change.</remarks>
internal sealed class CompiledSegment
{
    public CompiledSegment(SegmentDocument document, AccountSet? included, AccountSet? excluded, Condition[][] rules, string[] segmentReferences)
    {
        Document = document;
        Included = included;
        Excluded = excluded;
        Rules = rules;
        SegmentReferences = segmentReferences;
    }

    public string Key => Document.Key;

    public long Version => Document.Version;

    /// <summary>The document compiled (never modified after compilation).</summary>
    public SegmentDocument Document { get; }

    public AccountSet? Included { get; }

    public AccountSet? Excluded { get; }

    /// <summary>Any rule (OR) whose conditions all match (AND) puts the context in.</summary>
    public Condition[][] Rules { get; }

    /// <summary>Keys of the segments this one's conditions name directly.</summary>
    public string[] SegmentReferences { get; }

    public bool Contains(EvaluationContext context)
    {
        if (context.Get(AttributeRef.AccountId) is { } accountId)
        {
            if (Excluded is not null && Excluded.Contains(accountId))
            {
                return false;
            }

            if (Included is not null && Included.Contains(accountId))
            {
                return true;
            }
        }

        foreach (var rule in Rules)
        {
            if (Evaluator.AllMatch(rule, context))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A set of account ids, matched by the hash the context computed once (see <see cref="AttributeValue.TextHash"/>).</summary>
internal sealed class AccountSet
{
    private readonly TextMap<bool> _ids;

    public AccountSet(IReadOnlyCollection<string> ids)
    {
        _ids = TextMap<bool>.Set(ids, true);
    }

    public int Count => _ids.Count;

    public bool Contains(AttributeValue id) => _ids.ContainsKey(id.Text, id.TextHash);
}
