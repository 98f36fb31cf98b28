using FlagKit.Documents;
using FlagKit.Protocol.V1;

namespace FlagKit.Server.Writes;

/// <summary>One document a write wants to put (create or replace) or archive.</summary>
/// <param name="Kind">Flag or segment.</param>
/// <param name="Key">The key.</param>
/// <param name="Flag">The new flag (a private copy the pipeline may change), for a flag put.</param>
/// <param name="Segment">The new segment, for a segment put.</param>
internal sealed record DocumentEdit(DocumentKind Kind, string Key, FlagDocument? Flag, SegmentDocument? Segment)
{
    /// <summary>Whether this edit archives the document.</summary>
    public bool IsArchive => Flag is null && Segment is null;

    /// <summary>Puts a flag.</summary>
    /// <param name="flag">The flag (owned by the edit from now on).</param>
    /// <returns>The edit.</returns>
    public static DocumentEdit Put(FlagDocument flag)
    {
        KillEdits.Normalize(flag);
        return new(DocumentKind.Flag, flag.Key, flag, null);
    }

    /// <summary>Puts a segment.</summary>
    /// <param name="segment">The segment (owned by the edit from now on).</param>
    /// <returns>The edit.</returns>
    public static DocumentEdit Put(SegmentDocument segment) => new(DocumentKind.Segment, segment.Key, null, segment);

    /// <summary>Archives a document.</summary>
    /// <param name="kind">Flag or segment.</param>
    /// <param name="key">The key.</param>
    /// <returns>The edit.</returns>
    public static DocumentEdit Archive(DocumentKind kind, string key) => new(kind, key, null, null);
}
