namespace FlagKit.Server.Store;

/// <summary>Everything one mode change stores, in one transaction.</summary>
/// <param name="EnvironmentId">The environment row.</param>
/// <param name="FromVersion">The version the change was computed against (0: none stored yet).</param>
/// <param name="Next">The new modes (version <paramref name="FromVersion"/> + 1).</param>
/// <param name="History">The history row.</param>
/// <param name="Audit">The audit row.</param>
internal sealed record ModeCommit(long EnvironmentId, long FromVersion, ModeRecord Next, ModeHistoryRecord History, AuditRecord Audit);
