namespace FlagKit.Server.Releases;

/// <summary>The outcome of one evaluation: the new state, the verdict, the action and why.</summary>
/// <param name="State">The release after this evaluation (store it).</param>
/// <param name="Verdict">What the evaluation concluded.</param>
/// <param name="Action">What to do to the flag.</param>
/// <param name="Summary">The figures and reason in words, e.g. "5xx 2.4 % vs 0.9 %, +167 %, 12 000 requests: rolled back to 0 %".</param>
/// <param name="Rejected">Reports not counted, each with its reason.</param>
internal sealed record ReleaseDecision(
    ReleaseState State, ReleaseVerdict Verdict, ReleaseAction Action, string Summary, IReadOnlyList<string> Rejected);
