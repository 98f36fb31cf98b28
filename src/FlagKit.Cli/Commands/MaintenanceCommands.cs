using System.CommandLine;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Cli.Commands;

/// <summary><c>maintenance schedule|list|cancel</c>: maintenance windows announced ahead.</summary>
internal static class MaintenanceCommands
{
    public static Command Create()
    {
        var command = new Command("maintenance", "Maintenance windows announced ahead (SDKs tell apps the next window's start, end and message)");
        command.Subcommands.Add(Schedule());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Cancel());
        return command;
    }

    private static Command Schedule()
    {
        var start = new Option<string>("--start") { Description = "When it starts: a time (2026-12-05T02:00Z) or a duration from now (10m)", HelpName = "time|duration", Required = true };
        var end = new Option<string>("--end") { Description = "When it ends: a time, or a duration from the start (30m)", HelpName = "time|duration", Required = true };
        var message = new Option<string?>("--message") { Description = "What users are told (shown ahead and during it)", HelpName = "text" };
        var readOnly = new Option<bool>("--read-only") { Description = "Read-only during the window instead of maintenance" };
        var id = new Option<string?>("--id") { Description = "The window's id [default: mw-<version>]", HelpName = "id" };
        var command = new Command("schedule", "Announce a maintenance window: from --start to --end, for --scope (default everyone)");
        command.Options.Add(start);
        command.Options.Add(end);
        command.Options.Add(message);
        command.Options.Add(ModeCommands.Scope);
        command.Options.Add(readOnly);
        command.Options.Add(id);
        command.Options.Add(ModeCommands.ExpectedVersion);
        command.Options.Add(WriteOptionsSet.Comment);
        CommandAction.Set(command, async context =>
        {
            var from = ModeView.ParseWhen("--start", context.Value(start), context.Time.GetUtcNow());
            var to = ModeView.ParseWhen("--end", context.Value(end), from);
            var request = new MaintenanceScheduleRequest
            {
                Environment = context.Environment,
                Start = Timestamp.FromDateTimeOffset(from),
                End = Timestamp.FromDateTimeOffset(to),
                Message = context.Value(message) ?? "",
                Mode = context.Value(readOnly) ? "read-only" : "maintenance",
                Id = context.Value(id) ?? "",
                Comment = context.Parse.GetValue(WriteOptionsSet.Comment) ?? "",
                Scope = { ModeView.ParseScope(context.Value(ModeCommands.Scope)) },
            };
            if (context.Value(ModeCommands.ExpectedVersion) is { } expected)
            {
                request.ExpectedVersion = expected;
            }

            var response = await context.CallAsync((admin, call) => admin.ScheduleMaintenanceAsync(request, call));
            return ModeCommands.WriteResult(context, response);
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "The mode now, the switches in force and the windows announced");
        CommandAction.Set(command, async context =>
        {
            var modes = await GetAsync(context);
            if (context.Json)
            {
                context.WriteJson(modes, ModeCliJsonContext.Default.ModesJson);
                return ExitCodes.Ok;
            }

            context.Out.WriteLine($"{context.Environment} modes at version {modes.Version}:");
            ModeView.Write(modes, context.Time.GetUtcNow(), context.Out);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Cancel()
    {
        var id = new Argument<string>("id") { Description = "The window's id (see maintenance list)" };
        var command = new Command("cancel", "Cancel a maintenance window (asks first)");
        command.Arguments.Add(id);
        command.Options.Add(ModeCommands.ExpectedVersion);
        command.Options.Add(WriteOptionsSet.Comment);
        command.Options.Add(WriteOptionsSet.Yes);
        CommandAction.Set(command, async context =>
        {
            var windowId = context.Value(id);
            context.Confirm($"cancel maintenance window '{windowId}' in '{context.Environment}'");
            var request = new MaintenanceCancelRequest
            {
                Environment = context.Environment,
                Id = windowId,
                Comment = context.Parse.GetValue(WriteOptionsSet.Comment) ?? "",
            };
            if (context.Value(ModeCommands.ExpectedVersion) is { } expected)
            {
                request.ExpectedVersion = expected;
            }

            var response = await context.CallAsync((admin, call) => admin.CancelMaintenanceAsync(request, call));
            return ModeCommands.WriteResult(context, response);
        });
        return command;
    }

    /// <summary>The modes for <c>status</c>: null from a server older than operating modes (UNIMPLEMENTED), so status still works there.</summary>
    public static async Task<ModesJson?> TryGetAsync(CommandContext context)
    {
        try
        {
            var response = await context.Admin.GetModesAsync(
                new ModeGetRequest { Environment = context.Environment }, Connection.AdminConnection.Call(context.Time, context.Cancellation));
            return ModeView.Describe(response.Environment, response.Version, response.Json, context.Time.GetUtcNow());
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unimplemented)
        {
            return null;
        }
    }

    /// <summary>The environment's modes, described for everyone now.</summary>
    public static async Task<ModesJson> GetAsync(CommandContext context)
    {
        var response = await context.CallAsync((admin, call) => admin.GetModesAsync(new ModeGetRequest { Environment = context.Environment }, call));
        return ModeView.Describe(response.Environment, response.Version, response.Json, context.Time.GetUtcNow());
    }
}
