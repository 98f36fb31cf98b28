using FlagKit.Documents;

namespace FlagKit.Evaluation;

/// <summary>A segment compiled for evaluation: account sets hashed, rules compiled, segment references resolved.</summary>
/// <remarks>Immutable and thread safe; shared between snapshots while its document and its references do not change.</remarks>
internal sealed class CompiledSegment
{
    public CompiledSegment(SegmentDocument document, TextSet included, TextSet excluded, Condition[][] rules, string[] segmentReferences)
    {
        Document = document;
        Included = included;
        Excluded = excluded;
        Rules = rules;

        // Most segments have one rule of one condition: kept alone, it is read without two arrays.
        Single = rules is [[var only]] ? only : null;
        SegmentReferences = segmentReferences;
    }

    public string Key => Document.Key;

    public long Version => Document.Version;

    /// <summary>The document compiled (never modified after compilation).</summary>
    public SegmentDocument Document { get; }

    // Fields, not properties: the sets are values held inside this object, read in place.
    public readonly TextSet Included;

    public readonly TextSet Excluded;

    /// <summary>Any rule (OR) whose conditions all match (AND) puts the context in.</summary>
    public Condition[][] Rules { get; }

    /// <summary>The only condition of the only rule, when that is the whole rule set; else <see langword="null"/>.</summary>
    public Condition? Single { get; }

    /// <summary>Keys of the segments this one's conditions name directly.</summary>
    public string[] SegmentReferences { get; }

    public bool Contains(EvaluationContext context)
    {
        if (context.Get(AttributeRef.AccountId) is { } accountId)
        {
            if (Excluded.Contains(accountId))
            {
                return false;
            }

            if (Included.Contains(accountId))
            {
                return true;
            }
        }

        if (Single is { } single)
        {
            return single.Matches(context);
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
