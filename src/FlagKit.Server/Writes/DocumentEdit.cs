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

/// <summary>What a write is, for idempotency, audit and the answer.</summary>
/// <param name="Environment">The environment written.</param>
/// <param name="Options">Expected revision, idempotency key, comment.</param>
/// <param name="Caller">Who writes (history author).</param>
/// <param name="Action">The RPC name (audit; part of the idempotency fingerprint).</param>
/// <param name="Target">What it targets (a key, <c>tag:x</c>, <c>file</c>).</param>
/// <param name="Request">The whole request (its bytes fingerprint an idempotent retry).</param>
/// <param name="DryRun">Validate and answer without committing.</param>
internal sealed record WriteCommand(
    string Environment,
    WriteOptions? Options,
    Auth.CallerIdentity Caller,
    string Action,
    string Target,
    Google.Protobuf.IMessage Request,
    bool DryRun = false);
