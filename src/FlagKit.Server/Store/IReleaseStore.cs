namespace FlagKit.Server.Store;

/// <summary>
/// The store's guarded releases: one row per release (its state as JSON, opaque to the store) and an immutable event
/// log per release. At most one <b>active</b> (running or paused) release per flag per environment: the store refuses a
/// second one (<see cref="ReleaseAlreadyActiveException"/>), whatever the number of replicas.
/// </summary>
internal interface IReleaseStore
{
    /// <summary>Creates a release, active, with its first event.</summary>
    /// <param name="release">The release (its <see cref="StoredRelease.Id"/> is ignored; the store assigns it).</param>
    /// <param name="started">The first event.</param>
    /// <returns>The stored release, with its id.</returns>
    /// <exception cref="ReleaseAlreadyActiveException">The flag already has an active release in that environment; nothing was stored.</exception>
    StoredRelease CreateRelease(StoredRelease release, ReleaseEventRecord started);

    /// <summary>Saves a release's new state (and status), with an event when given, in one transaction.</summary>
    /// <param name="id">The release.</param>
    /// <param name="status">Its status, in words (<c>running</c>, <c>paused</c>…).</param>
    /// <param name="active">Whether it is still running or paused.</param>
    /// <param name="stateJson">Its state.</param>
    /// <param name="updatedAt">When.</param>
    /// <param name="appended">An event to append, or null.</param>
    /// <exception cref="KeyNotFoundException">No release has that id.</exception>
    void SaveRelease(long id, string status, bool active, string stateJson, DateTimeOffset updatedAt, ReleaseEventRecord? appended);

    /// <summary>One release.</summary>
    /// <param name="id">The release.</param>
    /// <returns>The release, or null.</returns>
    StoredRelease? GetRelease(long id);

    /// <summary>Every active (running or paused) release, oldest first (what a starting server resumes).</summary>
    /// <returns>The releases.</returns>
    IReadOnlyList<StoredRelease> LoadActiveReleases();

    /// <summary>An environment's releases, newest first.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="flag">One flag's, or null for every flag's.</param>
    /// <param name="limit">At most this many.</param>
    /// <returns>The releases.</returns>
    IReadOnlyList<StoredRelease> ListReleases(long environmentId, string? flag, int limit);

    /// <summary>A release's events, oldest first.</summary>
    /// <param name="releaseId">The release.</param>
    /// <param name="limit">At most this many (the newest ones).</param>
    /// <returns>The events.</returns>
    IReadOnlyList<ReleaseEventRecord> GetReleaseEvents(long releaseId, int limit);
}
