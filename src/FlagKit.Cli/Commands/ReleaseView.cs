using System.Globalization;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

/// <summary>How a release reads in human output: the detail, the table row, the progress line of <c>--wait</c>.</summary>
internal static class ReleaseView
{
    /// <summary><c>running</c>, <c>paused</c>, <c>rolled back</c>, <c>completed</c>, <c>aborted</c>.</summary>
    public static string Status(ReleaseRunStatus status) => status switch
    {
        ReleaseRunStatus.Running => "running",
        ReleaseRunStatus.Paused => "paused",
        ReleaseRunStatus.RolledBack => "rolled back",
        ReleaseRunStatus.Completed => "completed",
        ReleaseRunStatus.Aborted => "aborted",
        _ => "unknown",
    };

    /// <summary>The exit code a release ends a <c>--wait</c> with: completed 0, rolled back or aborted 10, paused 11.</summary>
    public static int ExitCode(ReleaseRunStatus status) => status switch
    {
        ReleaseRunStatus.Completed => ExitCodes.Ok,
        ReleaseRunStatus.RolledBack or ReleaseRunStatus.Aborted => ExitCodes.ReleaseRolledBack,
        ReleaseRunStatus.Paused => ExitCodes.ReleasePaused,
        _ => ExitCodes.Other,
    };

    /// <summary>One line: <c>checkout-v2 release 12: running at 5 % (step 2 of 5), next step in 0:40: holding 5 % …</c>.</summary>
    public static string Line(ReleaseInfo r)
    {
        var state = Status(r.Status) + (r.PauseReason.Length > 0 ? $" ({r.PauseReason})" : "");
        var next = r.Status == ReleaseRunStatus.Running ? $", next step in {Duration(r.NextStepInMs)}" : "";
        return $"{r.Flag} release {r.Id}: {state} at {r.TreatmentPercent} % (step {r.StepIndex + 1} of {r.Steps.Count}){next}: {r.Summary}";
    }

    /// <summary>The whole release: state, figures per variant, guards, events.</summary>
    public static void Write(TextWriter output, ReleaseInfo r)
    {
        output.WriteLine($"release {r.Id}: {r.Flag} in '{r.Environment}', {r.Treatment} vs {r.Control}, started by {r.CreatedBy} {Format.Time(Format.Instant(r.StartedAt))}");
        output.WriteLine($"  status     {Status(r.Status)}{(r.PauseReason.Length > 0 ? $" ({r.PauseReason})" : "")} at {r.TreatmentPercent} %, step {r.StepIndex + 1} of {r.Steps.Count} ({string.Join(" → ", r.Steps)} %)");
        output.WriteLine($"  verdict    {r.Verdict.Replace('_', ' ')}: {r.Summary}");
        if (r.Status == ReleaseRunStatus.Running)
        {
            output.WriteLine($"  next step  in {Duration(r.NextStepInMs)} (hold {Duration(r.HoldMs)}, given {Count(r.MinimumSample)} requests per variant)");
        }

        var table = new Table("variant", "exposures>", "requests>", "errors>", "error rate>", "p95>", "p99>");
        foreach (var f in new[] { r.TreatmentFigures, r.ControlFigures }.Where(f => f is not null))
        {
            table.Add(f.Variant, Count(f.Exposures), Count(f.Requests), Count(f.Failures), Rate(f.ErrorRate), Ms(f.P95Ms), Ms(f.P99Ms));
        }

        table.WriteTo(output);
        var limits = (r.HasMaxErrorRatePercent ? $", errors below {r.MaxErrorRatePercent.ToString("0.###", CultureInfo.InvariantCulture)} %" : "")
            + (r.HasMaxP95Ms ? $", p95 below {Ms(r.MaxP95Ms)}" : "");
        output.WriteLine($"  guards     errors +{Number(r.MaxErrorIncreasePercent)} %, p95 +{Number(r.MaxP95IncreasePercent)} %, p99 +{Number(r.MaxP99IncreasePercent)} %{limits}; on harm {(r.Rollback == ReleaseRollback.Kill ? "kill the flag" : "roll back to 0 %")}");
        if (r.Events.Count > 0)
        {
            var events = new Table("time", "event", "by", "percent>", "summary");
            foreach (var e in r.Events)
            {
                events.Add(Format.Time(Format.Instant(e.Time)), e.Kind, e.Actor, e.Percent + " %", e.Summary);
            }

            events.WriteTo(output);
        }
    }

    /// <summary>A duration in milliseconds as <c>m:ss</c>.</summary>
    public static string Duration(long milliseconds)
    {
        var t = TimeSpan.FromMilliseconds(Math.Max(0, milliseconds));
        return $"{(int)t.TotalMinutes}:{t.Seconds:00}";
    }

    private static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Rate(double rate) => (rate * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";

    private static string Ms(double value) => value > 0 ? value.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
