namespace FlagKit.Server.Store;

/// <summary>A guarded release as stored.</summary>
/// <param name="Id">Row id (the release's id, as in <c>release:12</c>).</param>
/// <param name="EnvironmentId">The environment row.</param>
/// <param name="Flag">The flag key.</param>
/// <param name="Status">Where it stands, in words (<c>running</c>, <c>paused</c>, <c>rolledback</c>…).</param>
/// <param name="Active">Running or paused (at most one active release per flag per environment).</param>
/// <param name="StateJson">The release's state (plan, step, figures), JSON.</param>
/// <param name="CreatedBy">Who started it.</param>
/// <param name="CreatedAt">When it started.</param>
/// <param name="UpdatedAt">When its state was last saved (its last evaluation).</param>
internal sealed record StoredRelease(
    long Id, long EnvironmentId, string Flag, string Status, bool Active, string StateJson, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
