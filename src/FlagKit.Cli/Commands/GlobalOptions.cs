using System.CommandLine;
using FlagKit.Cli.Connection;
using FlagKit.Cli.Output;

namespace FlagKit.Cli.Commands;

/// <summary>The options every command accepts (declared once on the root, recursive).</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Url = new("--url")
    {
        Description = $"Flag server address [env {ServerSettings.UrlVariable}; default {ServerSettings.DefaultUrl}]",
        HelpName = "url",
        Recursive = true,
    };

    public static readonly Option<string?> Key = new("--key")
    {
        Description = $"API key (prefer {ServerSettings.KeyVariable}: a flag shows up in the process list) [env {ServerSettings.KeyVariable}]",
        HelpName = "key",
        Recursive = true,
    };

    public static readonly Option<string?> Environment = new("--env", "-e")
    {
        Description = $"Environment to act on [env {ServerSettings.EnvironmentVariable}; default {ServerSettings.DefaultEnvironment}]",
        HelpName = "name",
        Recursive = true,
    };

    public static readonly Option<string?> Config = new("--config")
    {
        Description = $"Config file with url/key/environment [env {ServerSettings.ConfigVariable}; default ~/.config/flagkit/config.json]",
        HelpName = "path",
        Recursive = true,
    };

    public static readonly Option<string?> Actor = new("--actor")
    {
        Description = $"Who is acting, recorded in history and audit beside the key's name (for a shared key) [env {ServerSettings.ActorVariable}]",
        HelpName = "name",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON on stdout (shapes documented in docs/cli.md)",
        Recursive = true,
    };

    public static void AddTo(Command root)
    {
        root.Options.Add(Url);
        root.Options.Add(Key);
        root.Options.Add(Environment);
        root.Options.Add(Config);
        root.Options.Add(Actor);
        root.Options.Add(Json);
    }
}

/// <summary>Options shared by every command that writes.</summary>
internal static class WriteOptionsSet
{
    public static readonly Option<string?> Comment = new("--comment", "-m")
    {
        Description = "Why: recorded in history and audit",
        HelpName = "text",
    };

    public static readonly Option<long?> ExpectedRevision = new("--expected-revision")
    {
        Description = "Refuse the write (exit 4) unless the environment is still at this revision",
        HelpName = "revision",
    };

    public static readonly Option<string?> IdempotencyKey = new("--idempotency-key")
    {
        Description = "Retrying a write with the same key applies it once (for scripts that retry) [default: a new key per run]",
        HelpName = "key",
    };

    public static readonly Option<bool> Wait = new("--wait")
    {
        Description = "Wait until every connected SDK instance has applied the new revision",
    };

    /// <summary>How long <c>--wait</c> waits when <c>--timeout</c> is not given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static readonly Option<TimeSpan?> Timeout = new("--timeout")
    {
        Description = "How long --wait waits (e.g. 30s, 2m) [default 30s]",
        HelpName = "duration",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Format.TryParseDuration(text, out var duration))
            {
                return duration;
            }

            result.AddError($"--timeout '{text}' is not a duration like 30s, 2m or 500ms.");
            return default;
        },
    };

    public static readonly Option<bool> Yes = new("--yes", "-y")
    {
        Description = "Do not ask for confirmation (required when stdin/stdout is not a terminal)",
    };

    public static void AddTo(Command command, bool destructive = false)
    {
        command.Options.Add(Comment);
        command.Options.Add(ExpectedRevision);
        command.Options.Add(IdempotencyKey);
        command.Options.Add(Wait);
        command.Options.Add(Timeout);
        ScheduleOptions.AddScheduling(command);
        if (destructive)
        {
            command.Options.Add(Yes);
        }
    }
}
