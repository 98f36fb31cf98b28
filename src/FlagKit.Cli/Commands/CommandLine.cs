using System.CommandLine;

namespace FlagKit.Cli.Commands;

/// <summary>
/// The command line this process was run with, and commands derived from it for the operator to copy: the retry of a
/// write whose answer was lost (same idempotency key), and the check of what happened.
/// </summary>
internal static class CommandLine
{
    // Options that say where the server is: carried over into the check command.
    private static readonly string[] Connection = ["--url", "--env", "-e", "--config"];

    /// <summary>The arguments of this run (set once, by <see cref="FlagKitCommandLine.RunAsync"/>).</summary>
    public static IReadOnlyList<string> Arguments { get; set; } = [];

    /// <summary>
    /// This run's command line with <c>--idempotency-key</c> set to <paramref name="idempotencyKey"/> (and without
    /// <c>--key</c>: a secret is never printed).
    /// </summary>
    /// <param name="parse">The parse (tells whether the key was given already).</param>
    /// <param name="idempotencyKey">The key the write was sent with.</param>
    /// <returns>A shell command line.</returns>
    public static string Retry(ParseResult parse, string idempotencyKey)
    {
        var args = WithoutSecret(Arguments).ToList();
        if (parse.GetValue(WriteOptionsSet.IdempotencyKey) is null)
        {
            args.Add("--idempotency-key");
            args.Add(idempotencyKey);
        }

        return Render(args);
    }

    /// <summary>The command that shows the latest history of <paramref name="flag"/> (or the environment).</summary>
    /// <param name="flag">The flag written, or null.</param>
    /// <param name="environment">The environment written (named when the run did not name it).</param>
    /// <returns>A shell command line.</returns>
    public static string Check(string? flag, string environment)
    {
        var args = new List<string> { "history" };
        if (flag is not null)
        {
            args.Add(flag);
        }

        args.AddRange(["--limit", "5"]);
        var named = false;
        for (var i = 0; i < Arguments.Count; i++)
        {
            var (name, value, width) = Option(i);
            if (Connection.Contains(name, StringComparer.Ordinal) && value is not null)
            {
                args.Add(name);
                args.Add(value);
                named |= name is "--env" or "-e";
            }

            i += width - 1;
        }

        if (!named)
        {
            args.AddRange(["--env", environment]);
        }

        return Render(args);
    }

    /// <summary>Quotes one argument for a POSIX shell when it needs it.</summary>
    /// <param name="argument">The argument.</param>
    /// <returns>The argument as typed at a shell prompt.</returns>
    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,%+".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Render(IEnumerable<string> args) => FlagKitCommandLine.Name + " " + string.Join(" ", args.Select(Quote));

    private static IEnumerable<string> WithoutSecret(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--key")
            {
                i++;
                continue;
            }

            if (!args[i].StartsWith("--key=", StringComparison.Ordinal))
            {
                yield return args[i];
            }
        }
    }

    // The option at i: its name, its value (next argument, or after '='), and how many arguments it spans.
    private static (string Name, string? Value, int Width) Option(int i)
    {
        var arg = Arguments[i];
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        if (arg.StartsWith('-') && eq > 0)
        {
            return (arg[..eq], arg[(eq + 1)..], 1);
        }

        return Connection.Contains(arg, StringComparer.Ordinal) && i + 1 < Arguments.Count ? (arg, Arguments[i + 1], 2) : (arg, null, 1);
    }
}
