using FlagKit.Protocol.V1;

namespace FlagKit.Server.Store;

/// <summary>An environment row: its name and current revision.</summary>
/// <param name="Id">Row id.</param>
/// <param name="Name">Unique name, e.g. <c>production</c>.</param>
/// <param name="Revision">Rises by exactly one per committed write; 0 for a new environment.</param>
/// <param name="CreatedAt">When it was created.</param>
internal sealed record EnvironmentRecord(long Id, string Name, long Revision, DateTimeOffset CreatedAt);

/// <summary>The current state of one flag or segment document (archived ones keep their last content).</summary>
/// <param name="Kind">Flag or segment.</param>
/// <param name="Key">The document key.</param>
/// <param name="Json">UTF-8 JSON of the document, with <c>version</c> set by the server.</param>
/// <param name="Version">The document's own version (rises by one per change, never reused).</param>
/// <param name="Revision">The environment revision that committed this version.</param>
/// <param name="UpdatedAt">When this version was committed.</param>
/// <param name="UpdatedBy">Who committed it.</param>
/// <param name="Archived">Archived documents are invisible to SDKs; history keeps them.</param>
internal sealed record StoredDocument(
    DocumentKind Kind,
    string Key,
    byte[] Json,
    long Version,
    long Revision,
    DateTimeOffset UpdatedAt,
    string UpdatedBy,
    bool Archived);

/// <summary>One immutable history row: a document's change at a revision.</summary>
/// <param name="Revision">The environment revision of the change.</param>
/// <param name="Kind">Flag or segment.</param>
/// <param name="Key">The document key.</param>
/// <param name="Action"><c>created</c>, <c>updated</c> or <c>archived</c>.</param>
/// <param name="Author">Who made it.</param>
/// <param name="Comment">Why (free text from the write).</param>
/// <param name="Time">When it was committed.</param>
/// <param name="Before">The document before (null when it did not exist or was archived).</param>
/// <param name="After">The document after (null when archived).</param>
/// <param name="Summary">One line a human reads.</param>
/// <param name="Operation">What the write was, in words ("rolled back to revision 10", "killed by tag payouts"); empty for rows older than schema 2.</param>
internal sealed record HistoryRecord(
    long Revision,
    DocumentKind Kind,
    string Key,
    string Action,
    string Author,
    string Comment,
    DateTimeOffset Time,
    byte[]? Before,
    byte[]? After,
    string Summary,
    string Operation = "");

/// <summary>One audit row: who did what, where.</summary>
/// <param name="Id">Row id (0 before insert).</param>
/// <param name="Time">When.</param>
/// <param name="Actor">Who (API key name, and the user named in the request's metadata if any).</param>
/// <param name="Action">What (the RPC, e.g. <c>SetFlagState</c>).</param>
/// <param name="Environment">Which environment (empty for server-wide actions).</param>
/// <param name="Target">The document, tag or key concerned.</param>
/// <param name="Revision">The environment revision after the action.</param>
/// <param name="Detail">A human-readable detail (never a secret).</param>
internal sealed record AuditRecord(
    long Id,
    DateTimeOffset Time,
    string Actor,
    string Action,
    string Environment,
    string Target,
    long Revision,
    string Detail);

/// <summary>A stored API key: only the SHA-256 of the secret is kept.</summary>
/// <param name="Id">Public id (used to revoke).</param>
/// <param name="Name">Human name.</param>
/// <param name="Role">SDK or admin.</param>
/// <param name="Environment">For SDK keys, the one environment it reads.</param>
/// <param name="Hash">SHA-256 of the secret.</param>
/// <param name="Prefix">The first characters of the secret, to recognise it.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
internal sealed record ApiKeyRecord(
    string Id,
    string Name,
    ApiKeyRole Role,
    string? Environment,
    byte[] Hash,
    string Prefix,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt);

/// <summary>The answer stored for an idempotency key.</summary>
/// <param name="RequestHash">SHA-256 of the request that first used the key.</param>
/// <param name="Response">The serialized <see cref="WriteResponse"/> it got.</param>
internal sealed record IdempotentAnswer(byte[] RequestHash, byte[] Response);

/// <summary>Everything one committed write stores, in one transaction.</summary>
/// <param name="EnvironmentId">The environment row.</param>
/// <param name="FromRevision">The revision the write was computed against (checked again inside the transaction).</param>
/// <param name="ToRevision"><paramref name="FromRevision"/> + 1.</param>
/// <param name="Documents">The new state of every changed document.</param>
/// <param name="History">One row per changed document.</param>
/// <param name="Audit">The audit row.</param>
/// <param name="IdempotencyKey">The write's idempotency key, if any.</param>
/// <param name="Answer">The answer stored under <paramref name="IdempotencyKey"/>.</param>
internal sealed record CommitBatch(
    long EnvironmentId,
    long FromRevision,
    long ToRevision,
    IReadOnlyList<StoredDocument> Documents,
    IReadOnlyList<HistoryRecord> History,
    AuditRecord Audit,
    string? IdempotencyKey,
    IdempotentAnswer? Answer);
