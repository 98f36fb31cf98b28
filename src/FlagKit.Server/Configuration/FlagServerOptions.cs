using FlagKit.Server.Store;

namespace FlagKit.Server.Configuration;

/// <summary>
/// The server's settings, bound from the <c>FlagKit:Server</c> configuration section (appsettings.json,
/// environment variables <c>FlagKit__Server__...</c>, command line <c>--FlagKit:Server:...</c>).
/// </summary>
internal sealed class FlagServerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "FlagKit:Server";

    /// <summary>The address Kestrel listens on. Loopback by default: expose it deliberately.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The gRPC port (h2c without a certificate, TLS with one). 0 picks a free port.</summary>
    public int Port { get; set; } = 5080;

    /// <summary>
    /// Optional second port speaking HTTP/1.1 for <c>/healthz</c> (load balancer and Kubernetes probes cannot
    /// speak h2c). Unset: no such port.
    /// </summary>
    public int? HttpPort { get; set; }

    /// <summary>
    /// Serve the web console (<c>/console</c>) on the ports that speak HTTP/1.1 (<see cref="HttpPort"/>, or the TLS
    /// port). On by default; it needs an admin or viewer key to sign in.
    /// </summary>
    public bool Console { get; set; } = true;

    /// <summary>How long a console session lasts from sign-in (absolute: it is not extended by use).</summary>
    public TimeSpan ConsoleSessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>The SQLite file. A relative path is resolved against the working directory.</summary>
    public string DataPath { get; set; } = Path.Combine("data", "flagkit.db");

    /// <summary>
    /// The store: <c>sqlite</c> (default: the file at <see cref="DataPath"/>) or <c>postgres</c> (the database at
    /// <see cref="PostgresConnectionString"/>).
    /// </summary>
    public string Store { get; set; } = StoreKinds.Sqlite;

    /// <summary>
    /// The Npgsql connection string used when <see cref="Store"/> is <c>postgres</c>. Unset: taken from the
    /// environment variable <c>FLAGKIT_POSTGRES</c> (keeps the password out of configuration files).
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>PFX certificate file; when set the gRPC port speaks TLS (HTTP/2 and HTTP/1.1 over ALPN).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Serve cleartext (h2c) on a non-loopback <see cref="Host"/>. Off: such a bind without <see cref="CertificatePath"/>
    /// refuses to start. On (e.g. behind a TLS-terminating proxy on a private network): starts and logs a warning.
    /// </summary>
    public bool AllowCleartextOnNetwork { get; set; }

    /// <summary>
    /// An admin key to ensure on start (created if its hash is not stored yet). Lets tests and samples start
    /// with a known key. At least 24 characters.
    /// </summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>Environment name → SDK key to ensure on start (the environment is created when missing).</summary>
    public Dictionary<string, string> BootstrapSdkKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The environment created on first start.</summary>
    public string DefaultEnvironment { get; set; } = "production";

    /// <summary>How often subscribers get a Heartbeat.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a new stream may take to send its Hello.</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Batches that may wait for one subscriber. A subscriber whose queue is full is told to resync and dropped,
    /// so a slow reader never grows the server's memory.
    /// </summary>
    public int SubscriberQueueCapacity { get; set; } = 64;

    /// <summary>How long a dropped subscriber gets to take its final message (Resync / GoingAway) before the stream is aborted.</summary>
    public TimeSpan FinalMessageTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Revisions kept per environment so a reconnecting SDK gets only what it missed.</summary>
    public int ChangeLogCapacity { get; set; } = 1024;

    /// <summary>
    /// Replicas (postgres store): how often each replica compares every environment's revision and the API keys with
    /// the database and catches up, whatever its LISTEN connection says (notifications are not durable). Also the
    /// longest its listener waits before checking its connection answers.
    /// </summary>
    public TimeSpan ReplicaPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest gRPC message accepted or sent, both directions (bytes).</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Largest message an SDK may send on the sync stream (Hello, Ack), in bytes: refused unparsed past it. An Ack
    /// listing a failure for each of 10 000 documents stays well under the default. Never more than
    /// <see cref="MaxMessageBytes"/>.
    /// </summary>
    public int MaxSyncRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Whether connections whose first request is a Sync call are served by FlagKit's own HTTP/2 path for Sync streams
    /// (an idle stream then costs a few KB instead of a whole ASP.NET Core request; a change reaches a connection's
    /// streams in one write). Off: ASP.NET Core serves every call. Applies to the endpoints the server configures
    /// itself, not to <c>Kestrel:Endpoints</c>.
    /// </summary>
    public bool DirectSyncConnections { get; set; } = true;

    /// <summary>Snapshot and delta batches are cut into messages of at most about this many bytes.</summary>
    public int BatchChunkBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest single flag or segment document accepted (bytes of JSON).</summary>
    public int MaxDocumentBytes { get; set; } = 256 * 1024;

    /// <summary>Most live flags one environment may hold; a write that would exceed it is refused before any work.</summary>
    public int MaxFlagsPerEnvironment { get; set; } = 50_000;

    /// <summary>How long an idempotency key and its stored answer are kept.</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Serve the Prometheus scrape endpoint <c>/metrics</c> (on the ports that speak HTTP/1.1: <see cref="HttpPort"/>,
    /// or the TLS port). On by default; the server's meter exists either way.
    /// </summary>
    public bool Metrics { get; set; } = true;

    /// <summary>
    /// A scrape of <c>/metrics</c> needs <c>Authorization: Bearer</c> with a viewer or admin key. On by default; off
    /// for a scraper on a private network that cannot send a key.
    /// </summary>
    public bool MetricsRequireKey { get; set; } = true;

    /// <summary>Webhook endpoints and their delivery (signed, queued, retried): see <see cref="Webhooks.WebhookOptions"/>.</summary>
    public Webhooks.WebhookOptions Webhooks { get; set; } = new();
    /// How late a scheduled change may still be applied when the server was not running at its time: past this it is
    /// skipped (recorded, with an audit row) rather than applied late.
    /// </summary>
    public TimeSpan ScheduleGrace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the server looks for due scheduled changes (a change is applied within about this long of its time).</summary>
    public TimeSpan SchedulePollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Identifies this server in Welcome; a random id per process when unset.</summary>
    public string? ServerId { get; set; }

    /// <summary>The PostgreSQL connection string: <see cref="PostgresConnectionString"/>, else <c>FLAGKIT_POSTGRES</c>.</summary>
    /// <returns>The connection string, or null when neither is set.</returns>
    public string? ResolvePostgresConnectionString() =>
        string.IsNullOrWhiteSpace(PostgresConnectionString)
            ? Environment.GetEnvironmentVariable(StoreKinds.PostgresEnvironmentVariable)
            : PostgresConnectionString;

    /// <summary>Checks the options and throws a message naming the bad setting.</summary>
    /// <exception cref="InvalidOperationException">A setting is out of range.</exception>
    public void Validate()
    {
        static void Require(bool ok, string setting, string problem)
        {
            if (!ok)
            {
                throw new InvalidOperationException($"Configuration {SectionName}:{setting}: {problem}");
            }
        }

        Require(Port is >= 0 and <= 65535, nameof(Port), "must be 0..65535");
        Require(HttpPort is null or (>= 0 and <= 65535), nameof(HttpPort), "must be 0..65535");
        Require(!string.IsNullOrWhiteSpace(DataPath), nameof(DataPath), "must not be empty");
        Require(StoreKinds.IsKnown(Store), nameof(Store), $"'{Store}' is not a store; use '{StoreKinds.Sqlite}' or '{StoreKinds.Postgres}'");
        Require(
            !StoreKinds.IsPostgres(Store) || !string.IsNullOrWhiteSpace(ResolvePostgresConnectionString()),
            nameof(PostgresConnectionString),
            $"must be set (or the environment variable {StoreKinds.PostgresEnvironmentVariable}) when Store is '{StoreKinds.Postgres}'");
        Require(HeartbeatInterval >= TimeSpan.FromMilliseconds(10), nameof(HeartbeatInterval), "must be at least 10ms");
        Require(HelloTimeout > TimeSpan.Zero, nameof(HelloTimeout), "must be positive");
        Require(SubscriberQueueCapacity >= 2, nameof(SubscriberQueueCapacity), "must be at least 2");
        Require(FinalMessageTimeout > TimeSpan.Zero, nameof(FinalMessageTimeout), "must be positive");
        Require(ChangeLogCapacity >= 1, nameof(ChangeLogCapacity), "must be at least 1");
        Require(ReplicaPollInterval >= TimeSpan.FromMilliseconds(50), nameof(ReplicaPollInterval), "must be at least 50ms");
        Require(MaxMessageBytes >= 64 * 1024, nameof(MaxMessageBytes), "must be at least 65536");
        Require(MaxSyncRequestBytes >= 4096, nameof(MaxSyncRequestBytes), "must be at least 4096");
        Require(BatchChunkBytes >= 1024 && BatchChunkBytes <= MaxMessageBytes / 2, nameof(BatchChunkBytes), "must be 1024..MaxMessageBytes/2");
        Require(MaxDocumentBytes >= 1024 && MaxDocumentBytes <= BatchChunkBytes, nameof(MaxDocumentBytes), "must be 1024..BatchChunkBytes");
        Require(ConsoleSessionLifetime >= TimeSpan.FromMinutes(1) && ConsoleSessionLifetime <= TimeSpan.FromDays(7), nameof(ConsoleSessionLifetime), "must be 1 minute..7 days");
        Require(MaxFlagsPerEnvironment >= 1, nameof(MaxFlagsPerEnvironment), "must be at least 1");
        Require(IdempotencyRetention > TimeSpan.Zero, nameof(IdempotencyRetention), "must be positive");
        Require(ScheduleGrace >= TimeSpan.Zero, nameof(ScheduleGrace), "must not be negative");
        Require(SchedulePollInterval >= TimeSpan.FromMilliseconds(10) && SchedulePollInterval <= TimeSpan.FromSeconds(1), nameof(SchedulePollInterval), "must be 10ms..1s");
        Require(BootstrapAdminKey is null || BootstrapAdminKey.Length >= 24, nameof(BootstrapAdminKey), "must be at least 24 characters");
        Webhooks.Validate($"{SectionName}:{nameof(Webhooks)}");
        foreach (var (env, key) in BootstrapSdkKeys)
        {
            Require(key.Length >= 24, $"BootstrapSdkKeys:{env}", "must be at least 24 characters");
        }
    }
}
