using System.CommandLine;
using System.Text.Json;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

/// <summary><c>history</c> and <c>rollback</c>.</summary>
internal static class HistoryCommands
{
    public static Command History()
    {
        var key = new Argument<string?>("flag") { Description = "Only this flag (default: the whole environment)", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit", "-n") { Description = "How many entries, newest first [default 20]", DefaultValueFactory = _ => 20, HelpName = "n" };
        var before = new Option<long>("--before") { Description = "Only entries older than this revision (paging)", HelpName = "revision" };
        var command = new Command("history", "Show what changed, when, by whom and why (newest first)") { key, limit, before };
        CommandAction.Set(command, async context =>
        {
            if (context.Value(limit) <= 0)
            {
                throw new CommandFailedException(ExitCodes.Usage, "--limit must be a positive number.");
            }

            var request = new GetHistoryRequest
            {
                Environment = context.Environment,
                Key = context.Value(key) ?? "",
                Limit = context.Value(limit),
                BeforeRevision = context.Value(before),
            };
            var response = await context.CallAsync((admin, call) => admin.GetHistoryAsync(request, call));
            if (context.Json)
            {
                var entries = response.Entries.Select(e => new HistoryEntryJson(
                    e.Revision, WriteReport.KindName(e.Kind), e.Key, e.Action, e.Author, e.Comment, Format.Instant(e.Time), e.Summary,
                    Parse(e.BeforeJson), Parse(e.AfterJson), e.Operation.Length == 0 ? null : e.Operation)).ToList();
                context.WriteJson(new HistoryJson(context.Environment, context.Value(key), entries), CliJsonContext.Default.HistoryJson);
                return ExitCodes.Ok;
            }

            if (response.Entries.Count == 0)
            {
                context.Out.WriteLine(request.Key.Length > 0 ? $"no history for '{request.Key}' in '{context.Environment}'." : $"no history in '{context.Environment}'.");
                return ExitCodes.Ok;
            }

            // The operation (what the write was: "killed by tag payouts") when the server records it; older entries have none.
            var operations = response.Entries.Any(e => e.Operation.Length > 0);
            var table = operations
                ? new Table("revision>", "time", "kind", "key", "action", "author", "operation", "change", "comment")
                : new Table("revision>", "time", "kind", "key", "action", "author", "change", "comment");
            foreach (var e in response.Entries)
            {
                string[] head = [FlagCommands.Number(e.Revision), Format.Time(Format.Instant(e.Time)), WriteReport.KindName(e.Kind), e.Key, e.Action, FlagCommands.Or(e.Author)];
                table.Add(operations ? [.. head, FlagCommands.Or(e.Operation), e.Summary, e.Comment] : [.. head, e.Summary, e.Comment]);
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Audit()
    {
        var limit = new Option<int>("--limit", "-n") { Description = "How many entries, newest first [default 20]", DefaultValueFactory = _ => 20, HelpName = "n" };
        var command = new Command("audit", "Show the audit log of the environment: who did what, when (newest first)") { limit };
        CommandAction.Set(command, async context =>
        {
            if (context.Value(limit) <= 0)
            {
                throw new CommandFailedException(ExitCodes.Usage, "--limit must be a positive number.");
            }

            var request = new GetAuditRequest { Environment = context.Environment, Limit = context.Value(limit) };
            var response = await context.CallAsync((admin, call) => admin.GetAuditAsync(request, call));
            var entries = response.Entries.Select(e => new AuditEntryJson(
                e.Id, Format.Instant(e.Time), e.Actor, e.Action, e.Environment, e.Target, e.Revision, e.Detail)).ToList();
            if (context.Json)
            {
                context.WriteJson(new AuditJson(context.Environment, entries), CliJsonContext.Default.AuditJson);
                return ExitCodes.Ok;
            }

            if (entries.Count == 0)
            {
                context.Out.WriteLine($"no audit entries for '{context.Environment}'.");
                return ExitCodes.Ok;
            }

            var table = new Table("id>", "time", "actor", "action", "target", "revision>", "detail");
            foreach (var e in entries)
            {
                table.Add(FlagCommands.Number(e.Id), Format.Time(e.Time), FlagCommands.Or(e.Actor), e.Action, FlagCommands.Or(e.Target), FlagCommands.Number(e.Revision), e.Detail);
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Rollback()
    {
        var key = new Argument<string?>("flag")
        {
            Description = "The flag to roll back; omit it to roll the WHOLE environment back (asks first)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var to = new Option<long>("--to") { Description = "The revision to go back to (see 'flagkit history')", Required = true, HelpName = "revision" };
        var segment = new Option<bool>("--segment") { Description = "Roll back the segment with this key instead of a flag" };
        var command = new Command("rollback", "Restore a flag (or the whole environment) as it was at a revision; writes a new revision") { key, to, segment };
        WriteOptionsSet.AddTo(command, destructive: true);
        ScheduleOptions.AddBreakGlass(command);
        CommandAction.Set(command, async context =>
        {
            var flag = context.Value(key);
            var revision = context.Value(to);
            if (revision <= 0)
            {
                throw new CommandFailedException(ExitCodes.Usage, "--to must be a revision number (see 'flagkit history').");
            }

            if (flag is null)
            {
                context.Confirm($"roll the WHOLE environment '{context.Environment}' back to revision {revision}");
            }

            var request = new RollbackRequest
            {
                Environment = context.Environment,
                Key = flag ?? "",
                Kind = flag is null ? DocumentKind.Unspecified : context.Value(segment) ? DocumentKind.Segment : DocumentKind.Flag,
                ToRevision = revision,
                Options = context.WriteOptions(),
            };
            if (await ScheduleCommands.DivertAsync(context, new ScheduleChangeRequest { Rollback = request }) is { } scheduled)
            {
                return scheduled;
            }

            var response = await context.CallAsync((admin, call) => admin.RollbackAsync(request, call));
            return await WriteReport.ReportAsync(context, response);
        });
        return command;
    }

    private static JsonElement? Parse(Google.Protobuf.ByteString json)
    {
        if (json.IsEmpty)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json.Memory);
        return document.RootElement.Clone();
    }
}
