namespace FlagKit.Server.Store;

/// <summary>The store's environments, documents and the one commit of a write.</summary>
internal interface IDocumentStore
{
    /// <summary>Every environment.</summary>
    /// <returns>Environments by name.</returns>
    IReadOnlyList<EnvironmentRecord> LoadEnvironments();

    /// <summary>Every document of an environment, archived ones included.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <returns>The documents.</returns>
    IReadOnlyList<StoredDocument> LoadDocuments(long environmentId);

    /// <summary>Creates an environment at revision 0 and records it in the audit log.</summary>
    /// <param name="name">The unique name.</param>
    /// <param name="audit">The audit row.</param>
    /// <returns>The new environment.</returns>
    /// <exception cref="System.Data.Common.DbException">The name exists (constraint violation).</exception>
    EnvironmentRecord CreateEnvironment(string name, AuditRecord audit);

    /// <summary>
    /// Commits one write in one transaction: the revision moves from <see cref="CommitBatch.FromRevision"/> to
    /// <see cref="CommitBatch.ToRevision"/> (refused if another writer moved it), documents, history, audit and the
    /// idempotent answer. Returns only once the transaction is durable.
    /// </summary>
    /// <param name="batch">The write.</param>
    /// <param name="idempotencyCutoff">Idempotency keys older than this are forgotten.</param>
    /// <exception cref="RevisionConflictException">The environment's revision is no longer <see cref="CommitBatch.FromRevision"/>; nothing was stored.</exception>
    /// <exception cref="IdempotencyKeyTakenException">Another write stored an answer under the same key first; nothing was stored.</exception>
    void Commit(CommitBatch batch, DateTimeOffset idempotencyCutoff);
}
