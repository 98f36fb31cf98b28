using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Admin;

/// <summary>What each write is, in words, for its history rows (<see cref="HistoryEntry.Operation"/>).</summary>
internal static class WriteOperations
{
    /// <summary>"put flag" / "put segment".</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The words.</returns>
    public static string Put(DocumentKind kind) => "put " + EnvironmentCatalog.KindName(kind);

    /// <summary>"archived flag" / "archived segment".</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The words.</returns>
    public static string Archive(DocumentKind kind) => "archived " + EnvironmentCatalog.KindName(kind);

    /// <summary>"killed", "enabled by tag payouts"…</summary>
    /// <param name="request">The request.</param>
    /// <returns>The words.</returns>
    public static string SetState(SetFlagStateRequest request)
    {
        var verb = request.Change switch
        {
            FlagStateChange.Enable => "enabled",
            FlagStateChange.Disable => "disabled",
            FlagStateChange.Kill => "killed",
            FlagStateChange.Unkill => "unkilled",
            _ => "state changed",
        };
        var by = !string.IsNullOrEmpty(request.Tag) ? $" by tag {request.Tag}" : "";
        if (!string.IsNullOrEmpty(request.Incident))
        {
            by += $" for incident {request.Incident}";
        }

        return verb + by + (request.AllSources ? " (every kill source lifted)" : "");
    }

    /// <summary>"rollout to 25 %", "rollout to on 30 %, off 70 % (rule beta)".</summary>
    /// <param name="request">The request.</param>
    /// <returns>The words.</returns>
    public static string Rollout(SetRolloutRequest request)
    {
        var to = request.Weights.Count > 0
            ? string.Join(", ", request.Weights.Select(w => $"{w.Variant} {Percent(w.Weight)} %"))
            : $"{Percent(request.Percent)} %" + (string.IsNullOrEmpty(request.Variant) ? "" : " " + request.Variant);
        return $"rollout to {to}" + (string.IsNullOrEmpty(request.RuleId) ? "" : $" (rule {request.RuleId})");
    }

    /// <summary>"targets on: +3 −1".</summary>
    /// <param name="request">The request.</param>
    /// <returns>The words.</returns>
    public static string Targets(SetTargetsRequest request) => $"targets {request.Variant}: +{request.Add.Count} −{request.Remove.Count}";

    /// <summary>"applied file", "applied file (prune)".</summary>
    /// <param name="request">The request.</param>
    /// <returns>The words.</returns>
    public static string ApplyFile(ApplyFileRequest request) => request.Prune ? "applied file (prune)" : "applied file";

    /// <summary>"rolled back to revision 10".</summary>
    /// <param name="request">The request.</param>
    /// <returns>The words.</returns>
    public static string Rollback(RollbackRequest request) => $"rolled back to revision {request.ToRevision}";

    private static string Percent(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
