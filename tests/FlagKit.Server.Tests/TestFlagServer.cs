using FlagKit.Protocol.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FlagKit.Server.Tests;

/// <summary>
/// A real FlagKit server, in-process, on <c>http://127.0.0.1:&lt;free port&gt;</c> (h2c), with its own SQLite file in a
/// temp directory and known keys. For server, SDK⇄server and CLI tests.
/// </summary>
/// <example>
/// <code>
/// await using var server = await TestFlagServer.StartAsync();
/// await server.Admin.PutDocumentAsync(new PutDocumentRequest { Environment = "production", ... });
/// var sync = server.CreateSyncClient();                 // raw sync stream with the SDK key
/// await server.RestartAsync();                          // same data file, same address
/// </code>
/// </example>
/// <remarks>
/// <see cref="Channel"/> survives <see cref="StopAsync"/> (calls fail while stopped); <see cref="RestartAsync"/> opens a
/// new <see cref="Channel"/> and <see cref="Admin"/>, so take them from this object after a restart. Disposing stops the server, disposes the channel and deletes the temp directory (unless the
/// directory was given). Not thread safe: drive start/stop from one test.
/// </remarks>
public sealed class TestFlagServer : IAsyncDisposable
{
    /// <summary>The admin key every test server accepts.</summary>
    public const string AdminKey = "fk_admin_test_key_0123456789abcdefghijklmnopq";

    /// <summary>The SDK key for <see cref="Environment"/>.</summary>
    public const string SdkKey = "fk_sdk_test_key_production_0123456789abcdefgh";

    /// <summary>The environment that exists from the start.</summary>
    public const string Environment = "production";

    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly Action<WebApplicationBuilder>? _configure;
    private readonly bool _ownsDirectory;
    private WebApplication? _app;
    private int _port;

    private TestFlagServer(string dataDirectory, bool ownsDirectory, IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure)
    {
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        _settings = settings;
        _configure = configure;
    }

    /// <summary>The temp directory holding the SQLite file.</summary>
    public string DataDirectory { get; }

    /// <summary>The SQLite file.</summary>
    public string DataPath => Path.Combine(DataDirectory, "flagkit.db");

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234</c> (kept across restarts).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>A channel to <see cref="Address"/> (no credentials: pass keys per call or use the clients below).</summary>
    public GrpcChannel Channel { get; private set; } = null!;

    /// <summary>
    /// The channel of <see cref="CreateSyncClient"/>: its own connections, whose first call is Sync, as an SDK's are (so
    /// the server serves them on its direct Sync path; <see cref="Channel"/>'s first call is usually an admin call).
    /// </summary>
    public GrpcChannel SyncChannel { get; private set; } = null!;

    /// <summary>An admin API client that sends <see cref="AdminKey"/>.</summary>
    public FlagAdmin.FlagAdminClient Admin { get; private set; } = null!;

    /// <summary>The running app's services (hubs, catalog, store) for assertions on server state.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The server is stopped.");

    /// <summary>Whether the server is running.</summary>
    public bool IsRunning => _app is not null;

    /// <summary>Starts a server.</summary>
    /// <param name="settings">Extra configuration (keys as in appsettings, e.g. <c>FlagKit:Server:SubscriberQueueCapacity</c>).</param>
    /// <param name="dataDirectory">Use this directory (kept on dispose) instead of a new temp directory.</param>
    /// <param name="configure">Last changes to the builder (e.g. replace the TimeProvider).</param>
    /// <returns>The running server.</returns>
    public static async Task<TestFlagServer> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        string? dataDirectory = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("flagkit-test-").FullName;
        var server = new TestFlagServer(dataDirectory, owns, settings ?? new Dictionary<string, string?>(), configure);
        try
        {
            await server.StartAppAsync().ConfigureAwait(false);
            server.OpenChannel();
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A call invoker on <see cref="Channel"/> that sends <c>authorization: Bearer key</c> (none when null).</summary>
    /// <param name="key">The API key, or null for no authorization metadata.</param>
    /// <returns>The invoker.</returns>
    public CallInvoker CallInvoker(string? key) =>
        key is null
            ? Channel.CreateCallInvoker()
            : Channel.Intercept(metadata =>
            {
                metadata.Add("authorization", "Bearer " + key);
                return metadata;
            });

    /// <summary>A raw sync client (the generated one) that sends <paramref name="key"/>.</summary>
    /// <param name="key">The API key; <see cref="SdkKey"/> by default.</param>
    /// <returns>The client.</returns>
    public FlagSync.FlagSyncClient CreateSyncClient(string? key = SdkKey) => new(key is null
        ? SyncChannel.CreateCallInvoker()
        : SyncChannel.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + key);
            return metadata;
        }));

    /// <summary>An admin client with another key (or none).</summary>
    /// <param name="key">The API key, or null.</param>
    /// <returns>The client.</returns>
    public FlagAdmin.FlagAdminClient CreateAdminClient(string? key) => new(CallInvoker(key));

    /// <summary>A service of the running server.</summary>
    /// <typeparam name="T">The service type.</typeparam>
    /// <returns>The service.</returns>
    public T GetService<T>()
        where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Stops the server gracefully (subscribers are told it is going away). The data file stays.</summary>
    /// <returns>Completes when stopped.</returns>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops (if running) and starts again on the same data file and the same address.</summary>
    /// <returns>Completes when running again.</returns>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartAppAsync().ConfigureAwait(false);

        // A new channel: the old one's pooled HTTP/2 connection may not have noticed yet that the stopped server closed
        // it, and the first call on it would fail ("the HTTP/2 server closed the connection").
        Channel.Dispose();
        SyncChannel.Dispose();
        OpenChannel();
    }

    private void OpenChannel()
    {
        Channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                // Test servers with TLS use a throwaway self-signed certificate.
                SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            },
        });
        Admin = new FlagAdmin.FlagAdminClient(CallInvoker(AdminKey));
        SyncChannel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            },
        });
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        Channel?.Dispose();
        SyncChannel?.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere; the temp directory is cleaned by the OS.
            }
        }
    }

    private async Task StartAppAsync()
    {
        var args = new Dictionary<string, string?>
        {
            ["FlagKit:Server:Host"] = "127.0.0.1",
            ["FlagKit:Server:Port"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FlagKit:Server:DataPath"] = DataPath,
            ["FlagKit:Server:BootstrapAdminKey"] = AdminKey,
            ["FlagKit:Server:BootstrapSdkKeys:" + Environment] = SdkKey,
            ["FlagKit:Server:FinalMessageTimeout"] = "00:00:02",
            ["Logging:LogLevel:Default"] = System.Environment.GetEnvironmentVariable("FLAGKIT_TEST_LOGLEVEL") ?? "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:Console:TimestampFormat"] = "HH:mm:ss.fff ",
        };
        foreach (var (key, value) in _settings)
        {
            args[key] = value;
        }

        var app = FlagServerApp.Build(args.Where(p => p.Value is not null).Select(p => $"--{p.Key}={p.Value}").ToArray(), _configure);
        await app.StartAsync().ConfigureAwait(false);
        _app = app;
        var address = new Uri(app.Urls.First());
        _port = address.Port;
        Address = address;
    }
}
