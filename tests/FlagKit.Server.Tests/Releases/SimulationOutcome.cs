using FlagKit.Server.Releases;

namespace FlagKit.Server.Tests.Releases;

/// <summary>How one simulated release ended.</summary>
/// <param name="State">The final state.</param>
/// <param name="Elapsed">Time from the start to the last evaluation.</param>
/// <param name="Summary">The last decision's words.</param>
/// <param name="Evaluations">Evaluations made.</param>
internal sealed record SimulationOutcome(ReleaseState State, TimeSpan Elapsed, string Summary, int Evaluations)
{
    public bool RolledBack => State.Status == ReleaseStatus.RolledBack;
}
