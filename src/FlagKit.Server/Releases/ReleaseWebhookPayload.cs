namespace FlagKit.Server.Releases;

/// <summary>The <c>payload</c> of a release webhook event (<c>release.step</c>, <c>.paused</c>, <c>.rolled_back</c>, <c>.completed</c>).</summary>
/// <param name="ReleaseId">The release.</param>
/// <param name="Environment">The environment.</param>
/// <param name="Flag">The flag key.</param>
/// <param name="Percent">The treatment's share after the event.</param>
/// <param name="Summary">The figures and reason, in words.</param>
/// <param name="Time">When it happened.</param>
internal sealed record ReleaseWebhookPayload(long ReleaseId, string Environment, string Flag, int Percent, string Summary, DateTimeOffset Time);
