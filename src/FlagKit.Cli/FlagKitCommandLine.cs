using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using FlagKit.Cli.Commands;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli;

/// <summary>The <c>flagkit</c> command tree, and running it: parse, report usage errors, invoke.</summary>
internal static class FlagKitCommandLine
{
    /// <summary>The command's name, whatever the assembly or executable is called.</summary>
    public const string Name = "flagkit";

    /// <summary>Builds the command tree.</summary>
    /// <returns>The root command.</returns>
    public static Command Build()
    {
        // A plain Command named `flagkit` rather than RootCommand, whose name is the executable's file name
        // (FlagKit.Cli when run as `dotnet FlagKit.Cli.dll`, as a .NET tool does).
        var root = new Command(Name, "flagkit: flip, ramp, kill and roll back FlagKit flags without a redeploy.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(FlagCommands.List());
        root.Subcommands.Add(FlagCommands.Get());
        root.Subcommands.Add(FlagCommands.State("enable", FlagStateChange.Enable, "Turn a flag's targeting on (or every flag with --tag)"));
        root.Subcommands.Add(FlagCommands.State("disable", FlagStateChange.Disable, "Turn a flag's targeting off: it serves its off variant"));
        root.Subcommands.Add(FlagCommands.State("kill", FlagStateChange.Kill, "Kill switch: serve the off variant whatever else is set (--tag asks first)"));
        root.Subcommands.Add(FlagCommands.State("unkill", FlagStateChange.Unkill, "Lift a kill: the flag's own, a tag's (--tag, asks first) or an incident's; the flag stays killed while another stands"));
        root.Subcommands.Add(FlagCommands.Rollout());
        root.Subcommands.Add(FlagCommands.Target());
        root.Subcommands.Add(FlagCommands.Archive());
        root.Subcommands.Add(HistoryCommands.History());
        root.Subcommands.Add(HistoryCommands.Rollback());
        root.Subcommands.Add(HistoryCommands.Audit());
        root.Subcommands.Add(FileCommands.Diff());
        root.Subcommands.Add(FileCommands.Apply());
        root.Subcommands.Add(FileCommands.Export());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ModeCommands.ReadOnly());
        root.Subcommands.Add(MaintenanceCommands.Create());
        root.Subcommands.Add(AdminCommands.Environments());
        root.Subcommands.Add(AdminCommands.Keys());
        root.Subcommands.Add(ReleaseCommands.Create());
        root.Subcommands.Add(ScheduleCommands.Create());
        root.Subcommands.Add(FreezeCommands.Create());

        // `flagkit --help` (and every command's help) ends with the exit codes scripts can rely on.
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction inner)
            {
                help.Action = new HelpWithExitCodes(inner);
            }
        }

        return root;
    }

    /// <summary>Parses and runs one command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="cancellationToken">Cancellation (Ctrl+C).</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = Build();
        CommandLine.Arguments = args;
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            var command = parse.CommandResult.Command;
            var path = command == root ? "flagkit" : "flagkit " + string.Join(" ", CommandPath(command));
            var message = parse.UnmatchedTokens.Count > 0
                ? $"unknown command or argument '{parse.UnmatchedTokens[0]}'"
                : System.Text.RegularExpressions.Regex.Replace(parse.Errors[0].Message, @"\s*\n\s*", " ").TrimEnd('.');
            var more = parse.UnmatchedTokens.Count == 0 && parse.Errors.Count > 1 ? $" (and {parse.Errors.Count - 1} more problem{(parse.Errors.Count > 2 ? "s" : "")})" : "";
            await error.WriteLineAsync($"flagkit: {message}{more}; see '{path} --help'.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(
            new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false },
            cancellationToken);
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new Stack<string>();
        for (Symbol? s = command; s is Command c && c.Name != Name; s = c.Parents.FirstOrDefault())
        {
            names.Push(c.Name);
        }

        return names;
    }

    /// <summary>The built-in help, followed by the exit codes.</summary>
    private sealed class HelpWithExitCodes(HelpAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var code = inner.Invoke(parseResult);
            if (parseResult.CommandResult.Command.Name != Name)
            {
                return code;
            }

            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Exit codes:");
            foreach (var (exit, meaning) in ExitCodes.Table)
            {
                output.WriteLine($"  {exit}  {meaning}");
            }

            output.WriteLine();
            output.WriteLine("Configuration: --url/--key/--env, else FLAGKIT_URL/FLAGKIT_KEY/FLAGKIT_ENV, else the config file.");
            return code;
        }
    }
}
