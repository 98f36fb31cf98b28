using System.CommandLine;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Cli.Commands;

/// <summary><c>readonly on|off</c>: the read-only (or maintenance) switch of a scope, with an optional end.</summary>
internal static class ModeCommands
{
    public static readonly Option<string?> Scope = new("--scope")
    {
        Description = "Who the mode applies to, like a flag's targeting: region=eu|uk,game=book-of-ra (attributes all match, values any) [default: everyone]",
        HelpName = "attr=value,...",
    };

    public static readonly Option<long?> ExpectedVersion = new("--expected-version")
    {
        Description = "Refuse (exit 4) unless the environment's modes are still at this version",
        HelpName = "version",
    };

    public static Command ReadOnly()
    {
        var command = new Command("readonly", "Read-only mode: mutating requests and writes are refused while reads go on (readonly on|off)");
        command.Subcommands.Add(Switch(on: true));
        command.Subcommands.Add(Switch(on: false));
        return command;
    }

    private static Command Switch(bool on)
    {
        var until = new Option<string?>("--until")
        {
            Description = "When the switch ends by itself: a time (2026-12-05T02:00Z) or a duration from now (30m) [default: until switched off]",
            HelpName = "time|duration",
        };
        var maintenance = new Option<bool>("--maintenance") { Description = "The maintenance switch instead of read-only" };
        var command = new Command(on ? "on" : "off", on
            ? "Switch read-only (or --maintenance) on for a scope, optionally --until a time; asks first"
            : "Switch read-only and maintenance off for a scope (only maintenance with --maintenance)");
        command.Options.Add(Scope);
        if (on)
        {
            command.Options.Add(until);
        }

        command.Options.Add(maintenance);
        command.Options.Add(ExpectedVersion);
        command.Options.Add(WriteOptionsSet.Comment);
        command.Options.Add(WriteOptionsSet.Yes);
        CommandAction.Set(command, async context =>
        {
            var mode = context.Value(maintenance) ? "maintenance" : "read-only";
            var request = new ModeSwitchRequest
            {
                Environment = context.Environment,
                // Off without --maintenance lifts both switches of the scope, whichever is on.
                Mode = on || context.Value(maintenance) ? mode : "",
                On = on,
                Comment = context.Parse.GetValue(WriteOptionsSet.Comment) ?? "",
                Scope = { ModeView.ParseScope(context.Value(Scope)) },
            };
            if (context.Value(ExpectedVersion) is { } expected)
            {
                request.ExpectedVersion = expected;
            }

            var end = on && context.Value(until) is { } text ? ModeView.ParseWhen("--until", text, context.Time.GetUtcNow()) : (DateTimeOffset?)null;
            if (end is { } e)
            {
                request.Until = Timestamp.FromDateTimeOffset(e);
            }

            if (on)
            {
                var scopeText = request.Scope.Count == 0 ? "everyone" : context.Value(Scope);
                context.Confirm($"switch {mode} on for {scopeText} in '{context.Environment}' {(end is { } t ? "until " + Format.Time(t) : "until switched off")} (mutating requests get 503)");
            }

            var response = await context.CallAsync((admin, call) => admin.SetModeSwitchAsync(request, call));
            return WriteResult(context, response);
        });
        return command;
    }

    /// <summary>Prints a mode write: the summary, the version, and the mode now.</summary>
    public static int WriteResult(CommandContext context, ModeWriteResponse response)
    {
        var now = context.Time.GetUtcNow();
        var modes = ModeView.Describe(response.Environment, response.Version, response.Json, now);
        if (context.Json)
        {
            context.WriteJson(
                new ModeWriteJson(response.Environment, response.PreviousVersion, response.Version, response.Changed, response.Summary, response.Id.Length == 0 ? null : response.Id, modes),
                ModeCliJsonContext.Default.ModeWriteJson);
            return ExitCodes.Ok;
        }

        context.Out.WriteLine(response.Changed
            ? $"{response.Summary}\n{response.Environment}: modes version {response.PreviousVersion} → {response.Version}"
            : $"nothing changed ({response.Environment} modes stay at version {response.Version})");
        context.Out.WriteLine($"{response.Environment} mode now: {ModeView.Line(modes)}");
        return ExitCodes.Ok;
    }
}
