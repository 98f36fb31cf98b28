using FlagKit.Server.Store;

namespace FlagKit.Server.Releases;

/// <summary>A release as read: where it runs, who started it, its state and its newest events.</summary>
/// <param name="Id">The release's id.</param>
/// <param name="Environment">The environment.</param>
/// <param name="CreatedBy">Who started it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="State">Its state (the runner's, for an active release; else the stored one).</param>
/// <param name="Events">Its events, oldest first.</param>
internal sealed record ReleaseSnapshot(long Id, string Environment, string CreatedBy, DateTimeOffset CreatedAt, ReleaseState State, IReadOnlyList<ReleaseEventRecord> Events);
