using System.CommandLine;
using System.Globalization;

namespace FlagKit.Cli.Commands;

/// <summary>
/// <c>--at</c> / <c>--in</c> (schedule a write instead of making it now: every write command takes them) and
/// <c>--override</c> / <c>--reason</c> (break-glass through a freeze: kill, rollback, freeze remove).
/// </summary>
internal static class ScheduleOptions
{
    public static readonly Option<DateTimeOffset?> At = new("--at")
    {
        Description = "Schedule this write for a time instead of making it now (ISO 8601 with a zone: 2026-12-05T02:00Z, 2026-12-05T03:00+01:00)",
        HelpName = "time",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (TryParseInstant(text, out var at))
            {
                return at;
            }

            result.AddError($"--at '{text}' is not a time with a zone, like 2026-12-05T02:00Z or 2026-12-05T03:00+01:00.");
            return null;
        },
    };

    public static readonly Option<TimeSpan?> In = new("--in")
    {
        Description = "Schedule this write for this long from now instead of making it now (e.g. 90s, 30m, 2h, 3d)",
        HelpName = "duration",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (TryParseSpan(text, out var span))
            {
                return span;
            }

            result.AddError($"--in '{text}' is not a duration like 90s, 30m, 2h or 3d.");
            return null;
        },
    };

    public static readonly Option<bool> Override = new("--override")
    {
        Description = "Break-glass during a freeze of the environment (kill, rollback, freeze remove only; needs --reason; audited)",
    };

    public static readonly Option<string?> Reason = new("--reason")
    {
        Description = "Why the freeze is overridden (with --override): recorded in history and audit",
        HelpName = "text",
    };

    /// <summary>Adds <c>--at</c> and <c>--in</c> to a write command.</summary>
    /// <param name="command">The command.</param>
    public static void AddScheduling(Command command)
    {
        command.Options.Add(At);
        command.Options.Add(In);
    }

    /// <summary>Adds <c>--override</c> and <c>--reason</c> to a break-glass command.</summary>
    /// <param name="command">The command.</param>
    public static void AddBreakGlass(Command command)
    {
        command.Options.Add(Override);
        command.Options.Add(Reason);
    }

    /// <summary>Sets the break-glass fields of a write's options when the command has them and they were given.</summary>
    /// <param name="parse">The command line.</param>
    /// <param name="options">The write's options.</param>
    /// <exception cref="CommandFailedException">Usage: one without the other.</exception>
    public static void ApplyBreakGlass(ParseResult parse, FlagKit.Protocol.V1.WriteOptions options)
    {
        if (!parse.CommandResult.Command.Options.Contains(Override))
        {
            return;
        }

        var overriding = parse.GetValue(Override);
        var reason = parse.GetValue(Reason);
        if (overriding != !string.IsNullOrWhiteSpace(reason))
        {
            throw new CommandFailedException(ExitCodes.Usage, "--override and --reason go together: say why the freeze is broken (it is audited).");
        }

        options.FreezeOverride = overriding;
        options.FreezeOverrideReason = reason ?? "";
    }

    /// <summary>ISO 8601 with an explicit zone (<c>Z</c> or an offset); a time without one is refused as ambiguous.</summary>
    /// <param name="text">The text.</param>
    /// <param name="at">The instant.</param>
    /// <returns>True when it parsed.</returns>
    public static bool TryParseInstant(string text, out DateTimeOffset at)
    {
        text = text.Trim();
        var zoned = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && (text[^6] is '+' or '-') && text[^3] == ':');
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out at) & zoned;
    }

    /// <summary><c>90s</c>, <c>30m</c>, <c>2h</c>, <c>3d</c> (one unit, positive, at most 366 days).</summary>
    /// <param name="text">The text.</param>
    /// <param name="span">The duration.</param>
    /// <returns>True when it parsed.</returns>
    public static bool TryParseSpan(string text, out TimeSpan span)
    {
        span = default;
        text = text.Trim();
        if (text.Length < 2)
        {
            return false;
        }

        var seconds = char.ToLowerInvariant(text[^1]) switch
        {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            _ => 0.0,
        };
        if (seconds == 0 || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || value <= 0 || value * seconds > TimeSpan.FromDays(366).TotalSeconds)
        {
            return false;
        }

        span = TimeSpan.FromSeconds(value * seconds);
        return true;
    }
}
