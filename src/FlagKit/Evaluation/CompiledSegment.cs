using FlagKit.Documents;

namespace FlagKit.Evaluation;

/// <summary>A segment compiled for evaluation: account sets hashed, rules compiled, segment references resolved.</summary>
/// <remarks>Immutable and thread safe; shared between snapshots while its document and its references do not change.</remarks>
internal sealed class CompiledSegment
{
    public CompiledSegment(SegmentDocument document, HashSet<string>? included, HashSet<string>? excluded, Condition[][] rules, string[] segmentReferences)
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

    public HashSet<string>? Included { get; }

    public HashSet<string>? Excluded { get; }

    /// <summary>Any rule (OR) whose conditions all match (AND) puts the context in.</summary>
    public Condition[][] Rules { get; }

    /// <summary>Keys of the segments this one's conditions name directly.</summary>
    public string[] SegmentReferences { get; }

    public bool Contains(EvaluationContext context)
    {
        var accountId = context.AccountId;
        if (accountId is not null)
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
