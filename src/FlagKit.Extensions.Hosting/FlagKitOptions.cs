using System.ComponentModel.DataAnnotations;

// RangeAttribute(Type, string, string) parses its bounds through a TypeConverter (not trim-safe), but only when it
// validates by reflection. FlagKit never does: the [OptionsValidator]-generated FlagKitOptionsValidator reads these
// attributes at compile time and checks the ranges with its own generated copy of the attribute.
#pragma warning disable IL2026

namespace FlagKit;

/// <summary>
/// FlagKit settings for dependency injection, usually bound from the <c>FlagKit</c> configuration section
/// (<c>services.AddFlagKit(configuration.GetSection("FlagKit"))</c>).
/// </summary>
/// <remarks>
/// Set either <see cref="ServerUrl"/> (with <see cref="ApiKey"/> and <see cref="Environment"/>) to follow a flag
/// server, or <see cref="FlagsFile"/> to serve a local flags file. The options are validated when the host starts
/// (and when the client is first resolved); an invalid setting fails with a message naming it.
/// Durations bind from configuration as <c>hh:mm:ss</c> strings (e.g. <c>"00:00:05"</c>), each at most a day.
/// </remarks>
public sealed class FlagKitOptions : IValidatableObject
{
    private const string Day = "1.00:00:00";

    /// <summary>
    /// The flag server's address: <c>http://host:port</c> (HTTP/2 without TLS) or <c>https://host:port</c>. Several
    /// replicas of one server: their addresses separated by commas (<c>http://flags-1:5080,http://flags-2:5080</c>); the
    /// SDK uses one and moves to the next when it loses it (<c>GrpcFlagSourceOptions.ServerUrls</c>).
    /// </summary>
    public string? ServerUrl { get; set; }

    /// <summary>The addresses in <see cref="ServerUrl"/> (one, or several separated by commas).</summary>
    internal string[] ServerUrlList => (ServerUrl ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>An SDK key allowed to read <see cref="Environment"/>. Keep it out of source control (user secrets, environment variables).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The environment to follow (e.g. <c>production</c>).</summary>
    public string? Environment { get; set; }

    /// <summary>This application's name, shown by the server's list of connected instances.</summary>
    public string? AppName { get; set; }

    /// <summary>This application's version, shown by the server's list of connected instances.</summary>
    public string? AppVersion { get; set; }

    /// <summary>
    /// Directory for the last-good-snapshot disk cache, served when the process starts while the server is
    /// unreachable. <see langword="null"/> (default) disables the cache.
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// How long to wait at start for the first snapshot: after it the disk cache is served (status
    /// <c>Stale</c>), and the host's start stops waiting for flags. Default 5 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", Day)]
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When true, a usable disk cache (<see cref="CacheDirectory"/>) is served at once at start (status <c>Stale</c>)
    /// while the first connection is still being made; the server's first batch then replaces it. When false
    /// (default), the cache is served only once the first connection attempt fails or <see cref="StartTimeout"/> passes.
    /// </summary>
    public bool ServeCacheWhileConnecting { get; set; }

    /// <summary>How long a connection attempt may take to get the server's answer. Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", Day, MinimumIsExclusive = true)]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Ceiling of the first reconnect wait (exponential backoff, full jitter). Default 500 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", Day, MinimumIsExclusive = true)]
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Cap on any reconnect wait. Default 1 s (the source's own default): a server that comes back is found within
    /// this wait plus one connect. Raise it to spread a very large fleet's retries against a server down for long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", Day, MinimumIsExclusive = true)]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Wait between retries after the server refused this SDK (bad key, no common version). Default 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", Day, MinimumIsExclusive = true)]
    public TimeSpan FailedRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A local flags file to serve instead of a server (config as code, tests, offline tools). Mutually exclusive
    /// with <see cref="ServerUrl"/>.
    /// </summary>
    public string? FlagsFile { get; set; }

    /// <summary>
    /// When true (default), the host's start waits up to <see cref="StartTimeout"/> for flags, so the first request
    /// is not served on defaults. It never fails the start: past the timeout it logs the status and goes on.
    /// </summary>
    public bool WaitForReadyOnStart { get; set; } = true;

    /// <summary>
    /// Count how often each flag serves each variant (exposures, for guarded releases and the <c>FlagKit</c> meter).
    /// Default true; see <see cref="FlagClientOptions.CountExposures"/>.
    /// </summary>
    public bool CountExposures { get; set; } = true;

    /// <summary>
    /// How often exposures and outcomes are summed and sent to the server (1 s to 1 day). Default 10 s; see
    /// <see cref="FlagClientOptions.TelemetryInterval"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", Day)]
    public TimeSpan TelemetryInterval { get; set; } = TimeSpan.FromSeconds(10);


    /// <summary>True when the application registered its own <see cref="Sources.FlagSource"/> for this client: then neither a server nor a file is required.</summary>
    internal bool CustomSource { get; set; }

    /// <summary>Where these options come from, for messages: the configuration section's path, else <c>FlagKit</c> (or <c>FlagKit[key]</c>).</summary>
    internal string Origin { get; set; } = "FlagKit";

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        bool hasServer = !string.IsNullOrWhiteSpace(ServerUrl);
        bool hasFile = !string.IsNullOrWhiteSpace(FlagsFile);
        if (hasServer && hasFile)
        {
            yield return Error("set either ServerUrl or FlagsFile, not both.", nameof(ServerUrl), nameof(FlagsFile));
        }
        else if (!hasServer && !hasFile && !CustomSource)
        {
            yield return Error("set ServerUrl (with ApiKey and Environment) to follow a flag server, or FlagsFile to serve a local flags file.", nameof(ServerUrl), nameof(FlagsFile));
        }

        if (hasServer)
        {
            foreach (string address in ServerUrlList.DefaultIfEmpty(ServerUrl!))
            {
                if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https"))
                {
                    yield return Error($":ServerUrl must be an absolute http:// or https:// address; it is '{address}'.", nameof(ServerUrl));
                }
            }

            if (string.IsNullOrWhiteSpace(ApiKey))
            {
                yield return Error(":ApiKey is required with ServerUrl: an SDK key for the environment.", nameof(ApiKey));
            }

            if (string.IsNullOrWhiteSpace(Environment))
            {
                yield return Error(":Environment is required with ServerUrl: the environment to follow (e.g. 'production').", nameof(Environment));
            }
        }

        if (ReconnectMaxDelay < ReconnectMinDelay)
        {
            yield return Error($":ReconnectMaxDelay ({ReconnectMaxDelay}) must be at least ReconnectMinDelay ({ReconnectMinDelay}).", nameof(ReconnectMaxDelay));
        }
    }

    /// <summary>An error prefixed with <see cref="Origin"/>: <c>FlagKit:ApiKey is required...</c>, or <c>FlagKit: set either...</c>.</summary>
    private ValidationResult Error(string message, params string[] members) =>
        new(message.StartsWith(':') ? Origin + message : $"{Origin}: {message}", members);
}
