using System.Text.Json.Serialization;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

// The shapes `flagkit release … --json` prints: a contract with scripts (docs/cli.md), members only ever added.

/// <summary>One release.</summary>
internal sealed record ReleaseJson(
    long Id, string Environment, string Flag, string Treatment, string Control, string Status, string? PauseReason,
    List<int> Steps, int StepIndex, int TreatmentPercent, double HoldSeconds, double IntervalSeconds,
    DateTimeOffset? StartedAt, DateTimeOffset? StepStartedAt, DateTimeOffset? EndedAt, double? NextStepInSeconds,
    string Verdict, string Summary, ReleaseFiguresJson TreatmentFigures, ReleaseFiguresJson ControlFigures,
    ReleaseGuardsJson Guards, string CreatedBy, List<ReleaseEventJson> Events)
{
    /// <summary>The JSON of an admin API release.</summary>
    public static ReleaseJson From(ReleaseInfo r) => new(
        r.Id, r.Environment, r.Flag, r.Treatment, r.Control, ReleaseView.Status(r.Status), r.PauseReason.Length > 0 ? r.PauseReason : null,
        r.Steps.ToList(), r.StepIndex, r.TreatmentPercent, r.HoldMs / 1000.0, r.IntervalMs / 1000.0,
        Format.Instant(r.StartedAt), Format.Instant(r.StepStartedAt), Format.Instant(r.EndedAt),
        r.Status == ReleaseRunStatus.Running ? r.NextStepInMs / 1000.0 : null,
        r.Verdict, r.Summary, Figures(r.TreatmentFigures), Figures(r.ControlFigures),
        new ReleaseGuardsJson(r.MaxErrorIncreasePercent, r.MaxP95IncreasePercent, r.MaxP99IncreasePercent,
            r.HasMaxErrorRatePercent ? r.MaxErrorRatePercent : null, r.HasMaxP95Ms ? r.MaxP95Ms : null, r.MinimumSample,
            r.Rollback == ReleaseRollback.Kill ? "kill" : "zero"),
        r.CreatedBy,
        r.Events.Select(e => new ReleaseEventJson(Format.Instant(e.Time), e.Kind, e.Actor, e.Percent, e.Summary)).ToList());

    private static ReleaseFiguresJson Figures(ReleaseVariantFigures? f) =>
        f is null ? new ReleaseFiguresJson("", 0, 0, 0, 0, 0, 0) : new(f.Variant, f.Exposures, f.Requests, f.Failures, f.ErrorRate, f.P95Ms, f.P99Ms);
}

/// <summary>One variant's figures in the current step.</summary>
internal sealed record ReleaseFiguresJson(string Variant, long Exposures, long Requests, long Failures, double ErrorRate, double P95Ms, double P99Ms);

/// <summary>What counts as harm.</summary>
internal sealed record ReleaseGuardsJson(
    double MaxErrorIncreasePercent, double MaxP95IncreasePercent, double MaxP99IncreasePercent, double? MaxErrorRatePercent, double? MaxP95Ms,
    long MinimumSample, string Rollback);

/// <summary>One event of a release.</summary>
internal sealed record ReleaseEventJson(DateTimeOffset? Time, string Kind, string Actor, int Percent, string Summary);

/// <summary><c>release status</c> without a flag: the environment's running and paused releases.</summary>
internal sealed record ReleaseListJson(string Environment, List<ReleaseJson> Releases);

/// <summary>Source-generated serialization for the release shapes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = true)]
[JsonSerializable(typeof(ReleaseJson))]
[JsonSerializable(typeof(ReleaseListJson))]
internal sealed partial class ReleaseJsonContext : JsonSerializerContext;
