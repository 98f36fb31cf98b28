namespace FlagKit.Server.Writes;

/// <summary>What preparing a write led to: an answer already (replay, dry run, no change) or a write to commit.</summary>
/// <param name="Answer">The final answer when nothing is to be committed.</param>
/// <param name="Write">The prepared write, when something is to be committed.</param>
internal sealed record WriteOutcome(Protocol.V1.WriteResponse? Answer, PreparedWrite? Write);
