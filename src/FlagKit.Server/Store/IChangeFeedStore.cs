namespace FlagKit.Server.Store;

/// <summary>
/// What replicas on one database read to learn each other's commits: an environment's documents changed since a
/// revision, consistent with the revision read with them.
/// </summary>
internal interface IChangeFeedStore
{
    /// <summary>
    /// The environment's row and every document (archived ones included) committed after <paramref name="revision"/>,
    /// read in one snapshot of the database, so the documents are exactly those of the revisions up to the returned
    /// <see cref="EnvironmentChanges.Environment"/>'s revision.
    /// </summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="revision">The revision the reader holds.</param>
    /// <returns>The changes, or null when the environment does not exist.</returns>
    EnvironmentChanges? ReadChangesSince(long environmentId, long revision);
}

/// <summary>An environment at its current revision, and the documents committed after the revision a reader held.</summary>
/// <param name="Environment">The environment row (its current revision).</param>
/// <param name="Documents">The current state of each document committed after the reader's revision.</param>
internal sealed record EnvironmentChanges(EnvironmentRecord Environment, IReadOnlyList<StoredDocument> Documents);
