using FlagKit.Protocol.V1;
using FlagKit.Server.Store;

namespace FlagKit.Server.Writes;

/// <summary>
/// A write worked out against one revision of an environment, ready to commit if the environment is still at that
/// revision: the next state, the rows to store, the changes to publish and the answer.
/// </summary>
/// <param name="Base">The state it was prepared against.</param>
/// <param name="Next">The state after the commit (its content hash from the validated snapshot).</param>
/// <param name="Response">The answer (revision already set to the new one).</param>
/// <param name="Documents">Document rows to upsert.</param>
/// <param name="History">One history row per changed document.</param>
/// <param name="Change">What subscribers are sent.</param>
/// <param name="IdempotencyKey">The key to store the answer under, or null.</param>
/// <param name="Fingerprint">The request's hash (for the idempotent answer).</param>
/// <param name="Time">The write's time (documents and history).</param>
internal sealed record PreparedWrite(
    EnvironmentState Base,
    EnvironmentState Next,
    WriteResponse Response,
    IReadOnlyList<StoredDocument> Documents,
    IReadOnlyList<HistoryRecord> History,
    Sync.RevisionChange Change,
    string? IdempotencyKey,
    byte[] Fingerprint,
    DateTimeOffset Time);
