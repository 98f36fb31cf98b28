using System.CommandLine;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Cli.Commands;

/// <summary>
/// Scheduled changes: any write command with <c>--at</c> / <c>--in</c> is sent as a scheduled change
/// (<see cref="DivertAsync"/>); <c>schedule list|show|change|cancel</c> manage them.
/// </summary>
internal static class ScheduleCommands
{
    public static Command Create()
    {
        var command = new Command("schedule", "Writes scheduled for later (make one with --at or --in on any write command: kill, enable, rollout, apply…)")
        {
            List(), Show(), Change(), Cancel(),
        };
        return command;
    }

    /// <summary>
    /// When the command line has <c>--at</c> or <c>--in</c>: sends the write as a scheduled change instead of making it
    /// now, prints it and returns the exit code; otherwise returns null and the command writes now.
    /// </summary>
    /// <param name="context">The command.</param>
    /// <param name="request">The write, as a schedule request (its due time is set here).</param>
    /// <returns>The exit code, or null when the write is not scheduled.</returns>
    public static async Task<int?> DivertAsync(CommandContext context, ScheduleChangeRequest request)
    {
        var parse = context.Parse;
        if (!parse.CommandResult.Command.Options.Contains(ScheduleOptions.At))
        {
            return null;
        }

        var at = parse.GetValue(ScheduleOptions.At);
        var @in = parse.GetValue(ScheduleOptions.In);
        if (at is null && @in is null)
        {
            return null;
        }

        if (at is not null && @in is not null)
        {
            throw new CommandFailedException(ExitCodes.Usage, "give --at or --in, not both.");
        }

        if (parse.GetValue(WriteOptionsSet.Wait))
        {
            throw new CommandFailedException(ExitCodes.Usage, "--wait waits for a write made now; a scheduled change is applied later (follow it with 'flagkit schedule show ID').");
        }

        request.DueAt = Timestamp.FromDateTimeOffset(at ?? context.Time.GetUtcNow() + @in!.Value);
        var options = Options(request);
        if (parse.GetValue(WriteOptionsSet.ExpectedRevision) is null)
        {
            // An edit scheduled now is checked against the documents it touches when due, not the environment's revision.
            options.ClearExpectedRevision();
        }

        options.IdempotencyKey = "";
        var info = await context.CallAsync((admin, call) => admin.ScheduleChangeAsync(request, call));
        Print(context, info, "scheduled");
        return ExitCodes.Ok;
    }

    private static Command List()
    {
        var all = new Option<bool>("--all") { Description = "Also applied, failed, skipped and cancelled changes" };
        var everywhere = new Option<bool>("--all-environments") { Description = "Every environment, not just --env" };
        var limit = new Option<int>("--limit") { Description = "At most this many [default 100]", HelpName = "n" };
        var command = new Command("list", "List scheduled changes: pending first (by time), then finished ones with --all") { all, everywhere, limit };
        CommandAction.Set(command, async context =>
        {
            var request = new ScheduleListRequest
            {
                Environment = context.Value(everywhere) ? "" : context.Environment,
                IncludeFinished = context.Value(all),
                Limit = context.Value(limit),
            };
            var response = await context.CallAsync((admin, call) => admin.ScheduleListAsync(request, call));
            var changes = response.Changes.Select(ToJson).ToList();
            if (context.Json)
            {
                context.WriteJson(new ScheduleListJson(changes), ScheduleJsonContext.Default.ScheduleListJson);
                return ExitCodes.Ok;
            }

            if (changes.Count == 0)
            {
                context.Out.WriteLine(request.IncludeFinished ? "no scheduled changes." : "no pending scheduled changes (--all shows finished ones).");
                return ExitCodes.Ok;
            }

            var table = new Table("id>", "environment", "due", "state", "change", "by", "note");
            foreach (var c in changes)
            {
                table.Add("#" + c.Id, c.Environment, Format.Time(c.DueAt), c.State, $"{c.Target}: {c.Description}", c.CreatedBy, c.Note.Length == 0 ? "-" : c.Note);
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show()
    {
        var id = IdArgument();
        var command = new Command("show", "Show one scheduled change: what, when, its state and why") { id };
        CommandAction.Set(command, async context =>
        {
            var info = await context.CallAsync((admin, call) => admin.ScheduleGetAsync(new ScheduleGetRequest { Id = context.Value(id) }, call));
            Print(context, info, null);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Change()
    {
        var id = IdArgument();
        var command = new Command("change", "Move a pending scheduled change to another time (--at or --in)") { id, WriteOptionsSet.Comment };
        ScheduleOptions.AddScheduling(command);
        CommandAction.Set(command, async context =>
        {
            var at = context.Value(ScheduleOptions.At);
            var @in = context.Value(ScheduleOptions.In);
            if ((at is null) == (@in is null))
            {
                throw new CommandFailedException(ExitCodes.Usage, "schedule change needs the new time: --at TIME or --in DURATION (one of them).");
            }

            var request = new ScheduleUpdateRequest
            {
                Id = context.Value(id),
                DueAt = Timestamp.FromDateTimeOffset(at ?? context.Time.GetUtcNow() + @in!.Value),
                Comment = context.Value(WriteOptionsSet.Comment) ?? "",
            };
            var info = await context.CallAsync((admin, call) => admin.ScheduleUpdateAsync(request, call));
            Print(context, info, "moved");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Cancel()
    {
        var id = IdArgument();
        var command = new Command("cancel", "Cancel a pending scheduled change (asks first)") { id, WriteOptionsSet.Comment, WriteOptionsSet.Yes };
        CommandAction.Set(command, async context =>
        {
            var existing = await context.CallAsync((admin, call) => admin.ScheduleGetAsync(new ScheduleGetRequest { Id = context.Value(id) }, call));
            context.Confirm($"cancel scheduled change #{existing.Id} ({existing.Target}: {existing.Description} in '{existing.Environment}', due {Format.Time(Format.Instant(existing.DueAt))})");
            var request = new ScheduleCancelRequest { Id = existing.Id, Comment = context.Value(WriteOptionsSet.Comment) ?? "" };
            var info = await context.CallAsync((admin, call) => admin.ScheduleCancelAsync(request, call));
            Print(context, info, "cancelled");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Argument<long> IdArgument() => new("id")
    {
        Description = "The scheduled change's number (see 'flagkit schedule list'; '#12' or '12')",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.TrimStart('#') : "";
            if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0)
            {
                return value;
            }

            result.AddError($"'{(result.Tokens.Count > 0 ? result.Tokens[0].Value : "")}' is not a scheduled change number (see 'flagkit schedule list').");
            return 0;
        },
    };

    private static void Print(CommandContext context, ScheduledChangeInfo info, string? verb)
    {
        var json = ToJson(info);
        if (context.Json)
        {
            context.WriteJson(json, ScheduleJsonContext.Default.ScheduledChangeJson);
            return;
        }

        var o = context.Out;
        var due = json.DueAt is { } d ? $"{Format.Time(d)} ({Relative(d, context.Time.GetUtcNow())})" : "-";
        o.WriteLine($"{(verb is null ? "" : verb + " ")}change #{json.Id} in '{json.Environment}': {json.Target}: {json.Description}, due {due}");
        var rows = new Table("", "");
        rows.Add("state", json.State);
        if (json.Note.Length > 0)
        {
            rows.Add("note", json.Note);
        }

        rows.Add("scheduled", $"{Format.Time(json.CreatedAt)} by {json.CreatedBy}, against revision {json.BaseRevision}");
        if (json.FinishedAt is { } finished)
        {
            rows.Add("finished", Format.Time(finished) + (json.AppliedRevision > 0 ? $", revision {json.AppliedRevision}" : ""));
        }

        rows.WriteTo(o);
    }

    private static string Relative(DateTimeOffset due, DateTimeOffset now)
    {
        var span = due - now;
        var words = Math.Abs(span.TotalDays) >= 1 ? $"{(int)Math.Abs(span.TotalDays)}d {Math.Abs(span.Hours)}h"
            : Math.Abs(span.TotalHours) >= 1 ? $"{(int)Math.Abs(span.TotalHours)}h {Math.Abs(span.Minutes)}m"
            : $"{(int)Math.Abs(span.TotalMinutes)}m {Math.Abs(span.Seconds)}s";
        return span >= TimeSpan.Zero ? "in " + words : words + " ago";
    }

    private static ScheduledChangeJson ToJson(ScheduledChangeInfo c) => new(
        c.Id, c.Environment, c.Rpc, c.Target, c.Description, Format.Instant(c.DueAt), State(c.State), c.CreatedBy, Format.Instant(c.CreatedAt),
        c.BaseRevision, c.Note, c.AppliedRevision, Format.Instant(c.FinishedAt));

    private static string State(ScheduleState state) => state switch
    {
        ScheduleState.Pending => "pending",
        ScheduleState.Applied => "applied",
        ScheduleState.Failed => "failed",
        ScheduleState.Skipped => "skipped",
        ScheduleState.Cancelled => "cancelled",
        _ => "unknown",
    };

    private static FlagKit.Protocol.V1.WriteOptions Options(ScheduleChangeRequest request) => request.WriteCase switch
    {
        ScheduleChangeRequest.WriteOneofCase.PutDocument => request.PutDocument.Options ??= new(),
        ScheduleChangeRequest.WriteOneofCase.ArchiveDocument => request.ArchiveDocument.Options ??= new(),
        ScheduleChangeRequest.WriteOneofCase.SetFlagState => request.SetFlagState.Options ??= new(),
        ScheduleChangeRequest.WriteOneofCase.SetRollout => request.SetRollout.Options ??= new(),
        ScheduleChangeRequest.WriteOneofCase.SetTargets => request.SetTargets.Options ??= new(),
        ScheduleChangeRequest.WriteOneofCase.ApplyFile => request.ApplyFile.Options ??= new(),
        ScheduleChangeRequest.WriteOneofCase.Rollback => request.Rollback.Options ??= new(),
        _ => throw new InvalidOperationException("A schedule request without a write."),
    };
}
