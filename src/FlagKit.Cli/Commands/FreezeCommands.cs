using System.CommandLine;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Cli.Commands;

/// <summary><c>freeze add|list|remove</c>: windows of an environment during which writes are refused.</summary>
internal static class FreezeCommands
{
    public static Command Create() => new("freeze", "Change freezes: windows during which writes to the environment are refused (break-glass: kill/rollback --override --reason)")
    {
        Add(), List(), Remove(),
    };

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "The window's name (e.g. euro-final)" };
        var start = TimeOption("--start", "One-off: the first frozen instant");
        var end = TimeOption("--end", "One-off: the first instant after the freeze");
        var days = new Option<string?>("--days") { Description = "Recurring: the days it starts on (e.g. sat or fri,sat,sun)", HelpName = "days" };
        var from = new Option<string?>("--from") { Description = "Recurring: local start time (HH:mm)", HelpName = "HH:mm" };
        var to = new Option<string?>("--to") { Description = "Recurring: local end time (HH:mm; at or before --from: the next day)", HelpName = "HH:mm" };
        var zone = new Option<string?>("--tz") { Description = "Recurring: the IANA time zone of --from/--to (e.g. Europe/Rome)", HelpName = "zone" };
        var command = new Command("add", "Add a freeze: one-off (--start/--end) or weekly (--days --from --to --tz)")
        {
            name, start, end, days, from, to, zone, WriteOptionsSet.Comment,
        };
        CommandAction.Set(command, async context =>
        {
            var recurring = context.Value(days) is not null || context.Value(from) is not null || context.Value(to) is not null || context.Value(zone) is not null;
            var oneOff = context.Value(start) is not null || context.Value(end) is not null;
            if (recurring == oneOff)
            {
                throw new CommandFailedException(ExitCodes.Usage, "freeze add takes --start and --end (one-off) or --days, --from, --to and --tz (weekly).");
            }

            var window = new FreezeWindow
            {
                Environment = context.Environment,
                Name = context.Value(name),
                LocalStart = context.Value(from) ?? "",
                LocalEnd = context.Value(to) ?? "",
                TimeZone = context.Value(zone) ?? "",
                Comment = context.Value(WriteOptionsSet.Comment) ?? "",
            };
            if (context.Value(start) is { } s)
            {
                window.Start = Timestamp.FromDateTimeOffset(s);
            }

            if (context.Value(end) is { } e)
            {
                window.End = Timestamp.FromDateTimeOffset(e);
            }

            window.Days.AddRange((context.Value(days) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            var info = await context.CallAsync((admin, call) => admin.FreezeAddAsync(new FreezeAddRequest { Window = window }, call));
            Print(context, info, "added");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List()
    {
        var everywhere = new Option<bool>("--all-environments") { Description = "Every environment, not just --env" };
        var command = new Command("list", "List freezes: when each is in force, now or next") { everywhere };
        CommandAction.Set(command, async context =>
        {
            var request = new FreezeListRequest { Environment = context.Value(everywhere) ? "" : context.Environment };
            var response = await context.CallAsync((admin, call) => admin.FreezeListAsync(request, call));
            var freezes = response.Freezes.Select(ToJson).ToList();
            if (context.Json)
            {
                context.WriteJson(new FreezeListJson(freezes), ScheduleJsonContext.Default.FreezeListJson);
                return ExitCodes.Ok;
            }

            if (freezes.Count == 0)
            {
                context.Out.WriteLine("no freezes.");
                return ExitCodes.Ok;
            }

            var table = new Table("environment", "freeze", "window", "now", "next");
            foreach (var f in freezes)
            {
                table.Add(f.Environment, f.Name, Window(f), f.Active ? $"FROZEN until {Format.Time(f.CurrentEnd)}" : "-",
                    f.NextStart is { } n ? $"{Format.Time(n)} to {Format.Time(f.NextEnd)}" : "-");
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The window's name" };
        var command = new Command("remove", "Remove a freeze (asks first; one in force only with --override --reason)") { name, WriteOptionsSet.Comment, WriteOptionsSet.Yes };
        ScheduleOptions.AddBreakGlass(command);
        CommandAction.Set(command, async context =>
        {
            var options = new FlagKit.Protocol.V1.WriteOptions { Comment = context.Value(WriteOptionsSet.Comment) ?? "" };
            ScheduleOptions.ApplyBreakGlass(context.Parse, options);
            context.Confirm($"remove freeze '{context.Value(name)}' of '{context.Environment}'" + (options.FreezeOverride ? " while it may be in force (break-glass)" : ""));
            var request = new FreezeRemoveRequest { Environment = context.Environment, Name = context.Value(name), Options = options };
            var info = await context.CallAsync((admin, call) => admin.FreezeRemoveAsync(request, call));
            Print(context, info, "removed");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Option<DateTimeOffset?> TimeOption(string name, string description) => new(name)
    {
        Description = description + " (ISO 8601 with a zone: 2026-12-05T18:00Z)",
        HelpName = "time",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (ScheduleOptions.TryParseInstant(text, out var at))
            {
                return at;
            }

            result.AddError($"{name} '{text}' is not a time with a zone, like 2026-12-05T18:00Z or 2026-12-05T19:00+01:00.");
            return null;
        },
    };

    private static void Print(CommandContext context, FreezeInfo info, string verb)
    {
        var json = ToJson(info);
        if (context.Json)
        {
            context.WriteJson(json, ScheduleJsonContext.Default.FreezeJson);
            return;
        }

        var now = json.Active ? $"; in force until {Format.Time(json.CurrentEnd)}" : json.NextStart is { } n ? $"; next {Format.Time(n)} to {Format.Time(json.NextEnd)}" : "";
        context.Out.WriteLine($"{verb} freeze '{json.Name}' of '{json.Environment}': {Window(json)}{now}");
    }

    private static string Window(FreezeJson f) => f.Days.Count > 0
        ? $"every {string.Join(",", f.Days)} {f.LocalStart}-{f.LocalEnd} {f.TimeZone}"
        : $"{Format.Time(f.Start)} to {Format.Time(f.End)}";

    private static FreezeJson ToJson(FreezeInfo i)
    {
        var w = i.Window;
        var recurring = w.Days.Count > 0;
        return new FreezeJson(
            w.Environment, w.Name, Format.Instant(w.Start), Format.Instant(w.End), [.. w.Days], recurring ? w.LocalStart : null, recurring ? w.LocalEnd : null,
            recurring ? w.TimeZone : null, w.Comment, w.CreatedBy, Format.Instant(w.CreatedAt), i.Active, Format.Instant(i.CurrentEnd),
            Format.Instant(i.NextStart), Format.Instant(i.NextEnd));
    }
}
