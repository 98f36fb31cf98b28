namespace FlagKit.Server.Store;

/// <summary>One immutable event of a release: started, advanced, paused, resumed, rolled back, completed, aborted…</summary>
/// <param name="Time">When.</param>
/// <param name="Kind">What happened, one word (<c>started</c>, <c>advanced</c>, <c>paused</c>…).</param>
/// <param name="Actor">Who: <c>release:12</c> for the release's own decisions, else the operator.</param>
/// <param name="Percent">The treatment's share after the event.</param>
/// <param name="Summary">The figures and reason, in words.</param>
internal sealed record ReleaseEventRecord(DateTimeOffset Time, string Kind, string Actor, int Percent, string Summary);
