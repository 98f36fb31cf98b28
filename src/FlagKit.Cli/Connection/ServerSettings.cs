using System.Collections;
using System.Text.Json;

namespace FlagKit.Cli.Connection;

/// <summary>
/// Where the server is, which key to present and which environment to act on, resolved from (in order of
/// precedence) command-line flags, environment variables, then the config file, then defaults.
/// </summary>
/// <param name="Url">The server's base address (http:// or https://).</param>
/// <param name="Key">The API key, or <c>null</c> when none was given anywhere.</param>
/// <param name="Environment">The environment commands act on.</param>
/// <param name="ConfigPath">The config file that was read, or <c>null</c> when none was.</param>
/// <param name="Actor">The person acting (sent in the actor header: history and audit name them), or <c>null</c>.</param>
internal sealed record ServerSettings(Uri Url, string? Key, string Environment, string? ConfigPath, string? Actor = null)
{
    /// <summary>Environment variable naming the person acting (same as <c>--actor</c>).</summary>
    public const string ActorVariable = "FLAGKIT_ACTOR";

    /// <summary>At most this many characters in an actor name (the server keeps 100).</summary>
    public const int MaxActorLength = 100;

    /// <summary>The server address used when none is given anywhere.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The environment used when none is given anywhere.</summary>
    public const string DefaultEnvironment = "production";

    /// <summary>Environment variable naming the server address.</summary>
    public const string UrlVariable = "FLAGKIT_URL";

    /// <summary>Environment variable holding the API key.</summary>
    public const string KeyVariable = "FLAGKIT_KEY";

    /// <summary>Environment variable naming the environment.</summary>
    public const string EnvironmentVariable = "FLAGKIT_ENV";

    /// <summary>Environment variable naming the config file (same as <c>--config</c>).</summary>
    public const string ConfigVariable = "FLAGKIT_CONFIG";

    /// <summary>
    /// Resolves the settings. Throws <see cref="CommandFailedException"/> when an explicitly named config file is
    /// missing, when a config file is not valid JSON, or when the URL is not an absolute http(s) address.
    /// </summary>
    /// <param name="urlFlag">The <c>--url</c> value, if given.</param>
    /// <param name="keyFlag">The <c>--key</c> value, if given.</param>
    /// <param name="environmentFlag">The <c>--env</c> value, if given.</param>
    /// <param name="configFlag">The <c>--config</c> value, if given.</param>
    /// <param name="variables">The process environment variables.</param>
    /// <param name="defaultConfigPath">The config file read when none is named; <see cref="DefaultConfigPath"/> when null.</param>
    /// <param name="actorFlag">The <c>--actor</c> value, if given.</param>
    /// <returns>The resolved settings.</returns>
    public static ServerSettings Resolve(
        string? urlFlag, string? keyFlag, string? environmentFlag, string? configFlag, IDictionary variables, string? defaultConfigPath = null, string? actorFlag = null)
    {
        var configPath = Blank(configFlag) ?? Blank(variables[ConfigVariable] as string);
        var explicitConfig = configPath is not null;
        configPath ??= defaultConfigPath ?? DefaultConfigPath();

        ConfigFile? config = null;
        if (configPath is not null)
        {
            if (File.Exists(configPath))
            {
                config = ConfigFile.Read(configPath);
            }
            else if (explicitConfig)
            {
                throw new CommandFailedException(
                    ExitCodes.Usage,
                    $"config file '{configPath}' does not exist; check --config / {ConfigVariable}.");
            }
            else
            {
                configPath = null;
            }
        }

        var url = Blank(urlFlag) ?? Blank(variables[UrlVariable] as string) ?? Blank(config?.Url) ?? DefaultUrl;
        var key = Blank(keyFlag) ?? Blank(variables[KeyVariable] as string) ?? Blank(config?.Key);
        var environment = Blank(environmentFlag) ?? Blank(variables[EnvironmentVariable] as string)
            ?? Blank(config?.Environment) ?? DefaultEnvironment;

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CommandFailedException(
                ExitCodes.Usage,
                $"server address '{url}' is not an http:// or https:// URL; fix --url / {UrlVariable} / the config file.");
        }

        var actor = Blank(actorFlag) ?? Blank(variables[ActorVariable] as string) ?? Blank(config?.Actor);
        if (actor is not null && (actor.Length > MaxActorLength || actor.Any(c => c is < ' ' or > '~')))
        {
            throw new CommandFailedException(
                ExitCodes.Usage,
                $"actor '{actor}' must be 1 to {MaxActorLength} printable ASCII characters (it travels in a request header); fix --actor / {ActorVariable} / the config file.");
        }

        return new ServerSettings(uri, key, environment, configPath, actor);
    }

    /// <summary>
    /// <c>$XDG_CONFIG_HOME/flagkit/config.json</c> (by default <c>~/.config/flagkit/config.json</c>) on Linux and
    /// macOS, <c>%APPDATA%\flagkit\config.json</c> on Windows.
    /// </summary>
    /// <returns>The path, or <c>null</c> when the user has no home or config folder.</returns>
    public static string? DefaultConfigPath()
    {
        var folder = System.Environment.GetFolderPath(System.Environment.SpecialFolder.ApplicationData);
        if (string.IsNullOrEmpty(folder))
        {
            var home = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
            {
                return null;
            }

            folder = Path.Combine(home, ".config");
        }

        return Path.Combine(folder, "flagkit", "config.json");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The config file: <c>{ "url": "...", "key": "...", "environment": "...", "actor": "..." }</c>, every member optional.</summary>
    private sealed record ConfigFile(string? Url, string? Key, string? Environment, string? Actor)
    {
        public static ConfigFile Read(string path)
        {
            try
            {
                var bytes = File.ReadAllBytes(path);
                var json = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes.AsMemory(3) : bytes.AsMemory();
                using var document = JsonDocument.Parse(
                    json,
                    new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid(path, "the top level must be an object like {\"url\": \"...\", \"environment\": \"...\"}");
                }

                return new ConfigFile(Member(root, "url", path), Member(root, "key", path), Member(root, "environment", path) ?? Member(root, "env", path), Member(root, "actor", path));
            }
            catch (JsonException ex)
            {
                throw Invalid(path, $"not valid JSON (line {ex.LineNumber + 1}: {FirstSentence(ex.Message)})");
            }
            catch (IOException ex)
            {
                throw Invalid(path, $"cannot be read ({ex.Message})");
            }
            catch (UnauthorizedAccessException ex)
            {
                throw Invalid(path, $"cannot be read ({ex.Message})");
            }
        }

        private static string? Member(JsonElement root, string name, string path)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : throw Invalid(path, $"\"{name}\" must be a string");
        }

        private static CommandFailedException Invalid(string path, string problem) =>
            new(ExitCodes.Invalid, $"config file '{path}' is invalid: {problem}; fix or remove it.");

        private static string FirstSentence(string message)
        {
            var cut = message.IndexOf(". ", StringComparison.Ordinal);
            return (cut > 0 ? message[..cut] : message).TrimEnd('.');
        }
    }
}
