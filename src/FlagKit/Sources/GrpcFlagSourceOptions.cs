namespace FlagKit.Sources;

/// <summary>Settings of a <see cref="GrpcFlagSource"/>: where the flag server is, who we are, how to reconnect.</summary>
/// <remarks>
/// Read once when the source is constructed; later changes to this object have no effect. With dependency
/// injection, use <c>FlagKitOptions</c> (<c>services.AddFlagKit(...)</c>), which fills this in.
/// </remarks>
public sealed class GrpcFlagSourceOptions
{
    /// <summary>The flag server's address, <c>http://host:port</c> (HTTP/2 without TLS) or <c>https://host:port</c>.</summary>
    public Uri? ServerUrl { get; set; }

    /// <summary>
    /// More addresses of the same flag service: several server replicas on one database (or leave this empty and put
    /// one load-balanced address in <see cref="ServerUrl"/>). The source connects to one of the addresses (picked at
    /// random, so that a fleet spreads over the replicas), stays there while it works, and moves to the next one when
    /// the stream breaks, the server is unreachable or going away, resuming from the revision it holds: the replicas
    /// share the revisions of the database, so the next one sends only what was missed. <see cref="ServerUrl"/>, when
    /// set, is one of the addresses.
    /// </summary>
    public IList<Uri> ServerUrls { get; } = new List<Uri>();

    /// <summary>An SDK key allowed to read <see cref="Environment"/>; sent as <c>authorization: Bearer &lt;key&gt;</c>.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>The environment to follow (e.g. <c>production</c>).</summary>
    public string Environment { get; set; } = "";

    /// <summary>This application's name, reported to the server (it lists connected instances by it).</summary>
    public string? AppName { get; set; }

    /// <summary>This application's version, reported to the server.</summary>
    public string? AppVersion { get; set; }

    /// <summary>
    /// Directory for the last-good-snapshot cache; <see langword="null"/> disables the cache. The file name is
    /// derived from the server and environment, so several services may share a directory.
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// How long to wait at start for the server's first complete snapshot before serving the disk cache
    /// (status <c>Stale</c>) while the server is slow to answer. A server that says no (connection refused, a
    /// broken or refused stream) does not make the start wait: the cache is served as soon as the first attempt
    /// fails. The source keeps trying the server afterwards. Default 5 s.
    /// </summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When <see langword="true"/>, a usable disk cache is served at once at start (status <c>Stale</c>), while the
    /// first connection is still being made; the server's first batch then replaces it (status <c>Ready</c>). When
    /// <see langword="false"/> (default), the cache is served only once the first connection attempt fails or
    /// <see cref="StartTimeout"/> passes, so a reachable server's fresh flags are what the application starts with.
    /// </summary>
    public bool ServeCacheWhileConnecting { get; set; }

    /// <summary>
    /// How long a connection attempt may take to get the server's <c>Welcome</c> before it is abandoned and retried.
    /// Default 10 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Ceiling of the first reconnect wait (exponential backoff with full jitter). Default 500 ms.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Cap on any reconnect wait. Default 1 s: a server that comes back is found within this wait plus one connect
    /// (the source's backoff is the only one; the gRPC channel's own is bypassed). Raise it to spread a very large
    /// fleet's retries against a server that is down for long, at the cost of a slower return.
    /// </summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Wait between retries after a refusal that will not heal by itself (wrong key, key not allowed, no common
    /// protocol version): the status is <c>Failed</c> and the source retries this slowly (with jitter) in case the
    /// operator fixes the server side. Default 60 s.
    /// </summary>
    public TimeSpan FailedRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The HTTP handler for the gRPC channel (e.g. to trust a private CA). The source does not dispose it.
    /// <see langword="null"/>: a <see cref="SocketsHttpHandler"/> with HTTP/2 keep-alive pings.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }
}
