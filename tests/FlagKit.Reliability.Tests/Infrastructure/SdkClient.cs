using System.Collections.Concurrent;
using FlagKit.Sources;

namespace FlagKit.Reliability.Tests.Infrastructure;

/// <summary>
/// A real SDK client (<see cref="FlagClient"/> over <see cref="GrpcFlagSource"/>) with a recorder of every snapshot it
/// published, so that a test can check afterwards that none was torn.
/// </summary>
internal sealed class SdkClient : IAsyncDisposable
{
    private readonly ConcurrentQueue<FlagSnapshot> _published = new();

    private readonly HttpMessageHandler? _handler;

    private SdkClient(GrpcFlagSource source, FlagClient client, HttpMessageHandler? handler)
    {
        _handler = handler;
        Source = source;
        Client = client;
        Client.FlagsChanged += (_, _) => _published.Enqueue(Client.Snapshot);
    }

    public GrpcFlagSource Source { get; }

    public FlagClient Client { get; }

    /// <summary>Every snapshot the client published, in order (read in the FlagsChanged handler).</summary>
    public IReadOnlyCollection<FlagSnapshot> Published => _published;

    /// <summary>Options with test-friendly reconnect timing (the server address and key are the caller's).</summary>
    public static GrpcFlagSourceOptions Options(Uri server, string apiKey, string environment, string? cacheDirectory = null) => new()
    {
        ServerUrl = server,
        ApiKey = apiKey,
        Environment = environment,
        AppName = "reliability-tests",
        AppVersion = "1.0.0",
        CacheDirectory = cacheDirectory,
        StartTimeout = TimeSpan.FromSeconds(20),
        ConnectTimeout = TimeSpan.FromSeconds(3),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        FailedRetryDelay = TimeSpan.FromSeconds(1),
    };

    /// <summary>Creates and starts a client; does not wait for Ready.</summary>
    public static async Task<SdkClient> StartAsync(GrpcFlagSourceOptions options)
    {
        var source = new GrpcFlagSource(options);
        var client = new FlagClient(source);
        var sdk = new SdkClient(source, client, options.HttpHandler);
        _ = client.StartAsync();
        await Task.Yield();
        return sdk;
    }

    /// <summary>
    /// A handler whose HTTP/2 keep-alive pings find a black-holed connection within ~2 s. The SDK's default handler
    /// pings after 20 s idle and waits 10 s: until then a reconnect after a stall reuses the dead connection (see
    /// docs/reliability.md, "stall").
    /// </summary>
    public static SocketsHttpHandler FastKeepAliveHandler() => new()
    {
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(1),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(1),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = TimeSpan.FromSeconds(3),
    };

    /// <summary>Disposes the client (and the handler given in the options, which the source does not own).</summary>
    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        _handler?.Dispose();
    }
}
