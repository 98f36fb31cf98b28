using System.CommandLine;
using System.Globalization;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

/// <summary>
/// <c>release start|status|pause|resume|promote|abort</c>: guarded releases, which the server ramps and judges by itself.
/// <c>--wait</c> follows a release with a progress line until it completes (exit 0), rolls back (10) or pauses (11).
/// </summary>
internal static class ReleaseCommands
{
    private static readonly Option<bool> Wait = new("--wait")
    {
        Description = "Follow the release with a progress line until it completes (exit 0), rolls back or is aborted (10), or pauses (11)",
    };

    private static readonly Option<TimeSpan?> Timeout = DurationOption("--timeout", "Stop following after this long (exit 8; the release runs on) [default: until it ends]");

    private static readonly Option<long?> Id = new("--id")
    {
        Description = "The release's id, instead of the flag's running or paused release",
        HelpName = "id",
    };

    private static readonly Option<string?> Comment = new("--comment", "-m")
    {
        Description = "Why: recorded in the release's events and the comment of its writes",
        HelpName = "text",
    };

    private static readonly Option<bool> Yes = new("--yes", "-y")
    {
        Description = "Do not ask for confirmation (needed off a terminal)",
    };

    public static Command Create() => new("release", "Guarded releases: the server ramps a flag through steps and rolls it back by itself on harm")
    {
        Start(), Status(), Control("pause", "Pause a running release (the step's share stays)", "pause the release of '{0}'", confirm: false, follow: false),
        Control("resume", "Resume a paused release on its step (the step's hold starts again)", "resume the release of '{0}'", confirm: false, follow: true),
        Control("promote", "Move a release to its next step now", "promote the release of '{0}' to its next step", confirm: true, follow: true),
        Control("abort", "Stop a release and serve its treatment to 0 %", "abort the release of '{0}' and serve its treatment to 0 %", confirm: true, follow: false),
    };

    private static Command Start()
    {
        var flag = new Argument<string>("flag") { Description = "The flag to release" };
        var treatment = new Option<string>("--treatment") { Description = "The variant released", DefaultValueFactory = _ => "on", HelpName = "variant" };
        var control = new Option<string>("--control") { Description = "The variant it is compared with (serves everyone else)", DefaultValueFactory = _ => "off", HelpName = "variant" };
        var steps = new Option<string?>("--steps") { Description = "Treatment percent at each step, ending at 100 [default 1,5,25,50,100]", HelpName = "p,p,..." };
        var hold = DurationOption("--hold", "How long each step is held and judged [default 5m]");
        var interval = DurationOption("--interval", "How often the release is evaluated [default 10s]");
        var errorIncrease = new Option<string?>("--max-error-increase") { Description = "Harm: treatment error rate this much above the control's [default 10%]", HelpName = "pct" };
        var latencyIncrease = new Option<string?>("--max-latency-increase") { Description = "Harm: treatment p95 or p99 this much above the control's [default 20%]", HelpName = "pct" };
        var errorRate = new Option<string?>("--max-error-rate") { Description = "Harm: treatment error rate above this, e.g. 0.3% [default off]", HelpName = "pct" };
        var p95 = DurationOption("--max-p95", "Harm: treatment p95 above this, e.g. 250ms [default off]");
        var sample = new Option<long?>("--min-sample") { Description = "Requests each variant needs in a step before any judgement [default 1000]", HelpName = "n" };
        var kill = new Option<bool>("--kill-on-harm") { Description = "On harm, kill the flag instead of serving the treatment to 0 %" };
        var command = new Command("start", "Start a guarded release of a flag (at its first step now)")
        {
            flag, treatment, control, steps, hold, interval, errorIncrease, latencyIncrease, errorRate, p95, sample, kill, Comment, Wait, Timeout,
        };
        CommandAction.Set(command, async context =>
        {
            var request = new ReleaseStartRequest
            {
                Environment = context.Environment,
                Flag = context.Value(flag),
                Treatment = context.Value(treatment),
                Control = context.Value(control),
                Rollback = context.Value(kill) ? ReleaseRollback.Kill : ReleaseRollback.ToZero,
                Comment = context.Value(Comment) ?? "",
            };
            request.Steps.AddRange(ParseSteps(context.Value(steps)));
            SetIf(context.Value(hold), v => request.HoldMs = (long)v.TotalMilliseconds);
            SetIf(context.Value(interval), v => request.IntervalMs = (long)v.TotalMilliseconds);
            SetIf(ParsePercent(context.Value(errorIncrease), "--max-error-increase", 1000), v => request.MaxErrorIncreasePercent = v);
            SetIf(ParsePercent(context.Value(latencyIncrease), "--max-latency-increase", 1000), v => (request.MaxP95IncreasePercent, request.MaxP99IncreasePercent) = (v, v));
            SetIf(ParsePercent(context.Value(errorRate), "--max-error-rate", 100), v => request.MaxErrorRatePercent = v);
            SetIf(context.Value(p95), v => request.MaxP95Ms = v.TotalMilliseconds);
            SetIf(context.Value(sample), v => request.MinimumSample = v);
            var started = await context.CallAsync((admin, call) => admin.StartReleaseAsync(request, call));
            if (!context.Json || !context.Value(Wait))
            {
                Report(context, started, $"started release {started.Id} of '{started.Flag}' at {started.TreatmentPercent} %.");
            }

            return context.Value(Wait) ? await FollowAsync(context, started) : ExitCodes.Ok;
        });
        return command;
    }

    private static Command Status()
    {
        var flag = new Argument<string?>("flag") { Description = "The flag (its newest release); none: every running or paused release", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("status", "Show a release: per-variant requests, error rate, p95/p99, the verdict and the time to the next step") { flag, Id, Wait, Timeout };
        CommandAction.Set(command, async context =>
        {
            var key = context.Value(flag);
            var id = context.Parse.GetValue(Id) ?? 0;
            if (key is null && id == 0)
            {
                if (context.Value(Wait))
                {
                    throw new CommandFailedException(ExitCodes.Usage, "release status --wait follows one release: name its flag (or --id).");
                }

                var list = await context.CallAsync((admin, call) => admin.ListReleasesAsync(new ReleaseListRequest { Environment = context.Environment, ActiveOnly = true }, call));
                if (context.Json)
                {
                    context.WriteJson(new ReleaseListJson(context.Environment, list.Releases.Select(ReleaseJson.From).ToList()), ReleaseJsonContext.Default.ReleaseListJson);
                    return ExitCodes.Ok;
                }

                var table = new Table("id>", "flag", "status", "percent>", "step", "next step", "verdict");
                foreach (var r in list.Releases)
                {
                    table.Add(r.Id.ToString(CultureInfo.InvariantCulture), r.Flag, ReleaseView.Status(r.Status) + (r.PauseReason.Length > 0 ? $" ({r.PauseReason})" : ""),
                        r.TreatmentPercent + " %", $"{r.StepIndex + 1}/{r.Steps.Count}", r.Status == ReleaseRunStatus.Running ? ReleaseView.Duration(r.NextStepInMs) : "-", r.Verdict.Replace('_', ' '));
                }

                if (table.Count == 0)
                {
                    context.Out.WriteLine($"no running or paused release in '{context.Environment}'.");
                }
                else
                {
                    table.WriteTo(context.Out);
                }

                return ExitCodes.Ok;
            }

            var release = await context.CallAsync((admin, call) =>
                admin.GetReleaseAsync(new ReleaseGetRequest { Environment = context.Environment, Id = id, Flag = id > 0 ? "" : key ?? "" }, call));
            if (context.Value(Wait))
            {
                return await FollowAsync(context, release);
            }

            if (context.Json)
            {
                context.WriteJson(ReleaseJson.From(release), ReleaseJsonContext.Default.ReleaseJson);
            }
            else
            {
                ReleaseView.Write(context.Out, release);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Control(string name, string description, string confirmation, bool confirm, bool follow)
    {
        var flag = new Argument<string?>("flag") { Description = "The flag whose running or paused release this is", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command(name, description) { flag, Id, Comment };
        if (confirm)
        {
            command.Options.Add(Yes);
        }

        if (follow)
        {
            command.Options.Add(Wait);
            command.Options.Add(Timeout);
        }

        CommandAction.Set(command, async context =>
        {
            var key = context.Value(flag);
            var id = context.Parse.GetValue(Id) ?? 0;
            if ((key is null) == (id == 0))
            {
                throw new CommandFailedException(ExitCodes.Usage, $"release {name} takes a flag or --id, exactly one of them; e.g. 'flagkit release {name} checkout-v2'.");
            }

            if (confirm && !context.Parse.GetValue(Yes))
            {
                context.Confirm(string.Format(CultureInfo.InvariantCulture, confirmation, key ?? $"#{id}") + $" in '{context.Environment}'");
            }

            var request = new ReleaseControlRequest { Environment = context.Environment, Id = id, Flag = key ?? "", Comment = context.Value(Comment) ?? "" };
            var release = await context.CallAsync((admin, call) => name switch
            {
                "pause" => admin.PauseReleaseAsync(request, call),
                "resume" => admin.ResumeReleaseAsync(request, call),
                "promote" => admin.PromoteReleaseAsync(request, call),
                _ => admin.AbortReleaseAsync(request, call),
            });
            var wait = follow && context.Parse.GetValue(Wait);
            if (!context.Json || !wait)
            {
                Report(context, release, $"{Past(name)} release {release.Id} of '{release.Flag}': {ReleaseView.Status(release.Status)} at {release.TreatmentPercent} %.");
            }

            return wait ? await FollowAsync(context, release) : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Follows a release until it stops running: a progress line (to stdout, or to stderr with <c>--json</c>, which
    /// prints the final release) whenever its step, status or summary changes.
    /// </summary>
    private static async Task<int> FollowAsync(CommandContext context, ReleaseInfo release)
    {
        var progress = context.Json ? context.Error : context.Out;
        var started = context.Time.GetUtcNow();
        var timeout = context.Parse.GetValue(Timeout);
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(release.IntervalMs / 2, 100, 2000));
        var last = "";
        while (true)
        {
            var line = ReleaseView.Line(release);
            var key = $"{release.Status}|{release.StepIndex}|{release.Summary}";
            if (key != last)
            {
                progress.WriteLine($"[{context.Time.GetUtcNow().UtcDateTime:HH:mm:ss}] {line}");
                progress.Flush();
                last = key;
            }

            if (release.Status != ReleaseRunStatus.Running)
            {
                break;
            }

            if (timeout is { } limit && context.Time.GetUtcNow() - started >= limit)
            {
                Final(context, release);
                throw new CommandFailedException(ExitCodes.WaitTimedOut, $"stopped following release {release.Id} after {Format.Seconds(limit)}; it is still running at {release.TreatmentPercent} %.");
            }

            await Task.Delay(poll, context.Time, context.Cancellation);
            var id = release.Id;
            release = await context.CallAsync((admin, call) => admin.GetReleaseAsync(new ReleaseGetRequest { Environment = release.Environment, Id = id }, call));
        }

        Final(context, release);
        return ReleaseView.ExitCode(release.Status);
    }

    private static void Final(CommandContext context, ReleaseInfo release)
    {
        if (context.Json)
        {
            context.WriteJson(ReleaseJson.From(release), ReleaseJsonContext.Default.ReleaseJson);
        }
    }

    private static void Report(CommandContext context, ReleaseInfo release, string line)
    {
        if (context.Json)
        {
            context.WriteJson(ReleaseJson.From(release), ReleaseJsonContext.Default.ReleaseJson);
        }
        else
        {
            context.Out.WriteLine(line);
            context.Out.WriteLine($"  {release.Summary}");
        }
    }

    private static string Past(string verb) => verb switch
    {
        "pause" => "paused",
        "resume" => "resumed",
        "promote" => "promoted",
        _ => "aborted",
    };

    private static IEnumerable<int> ParseSteps(string? text)
    {
        if (text is null)
        {
            return [];
        }

        var steps = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part.TrimEnd('%'), NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            {
                throw new CommandFailedException(ExitCodes.Usage, $"--steps entry '{part}' is not a whole percentage; e.g. --steps 1,5,25,50,100.");
            }

            steps.Add(step);
        }

        return steps;
    }

    private static double? ParsePercent(string? text, string option, double max)
    {
        if (text is null)
        {
            return null;
        }

        var trimmed = text.Trim().TrimEnd('%').Trim();
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= 0 && value <= max
            ? value
            : throw new CommandFailedException(ExitCodes.Usage, $"{option} '{text}' is not a percentage from 0 to {max.ToString(CultureInfo.InvariantCulture)}; e.g. {option} 10%.");
    }

    private static Option<TimeSpan?> DurationOption(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "duration",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Format.TryParseDuration(text, out var duration))
            {
                return duration;
            }

            result.AddError($"{name} '{text}' is not a duration like 10m, 30s or 250ms.");
            return null;
        },
    };

    private static void SetIf<T>(T? value, Action<T> set)
        where T : struct
    {
        if (value is { } v)
        {
            set(v);
        }
    }
}
