namespace FlagKit.Server.Releases;

/// <summary>One notification of a release's step, pause, rollback or completion.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="ReleaseId">The release (its writes are authored <c>release:&lt;id&gt;</c>).</param>
/// <param name="Environment">The environment.</param>
/// <param name="Flag">The flag key.</param>
/// <param name="Percent">The treatment's share after the event.</param>
/// <param name="Summary">The figures and reason, in words (the comment of the write, when there was one).</param>
/// <param name="Time">When.</param>
internal sealed record ReleaseNotification(
    ReleaseNotificationKind Kind, long ReleaseId, string Environment, string Flag, int Percent, string Summary, DateTimeOffset Time);
