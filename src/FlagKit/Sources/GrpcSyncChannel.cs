using FlagKit.Protocol.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace FlagKit.Sources;

/// <summary>
/// The gRPC channel a <see cref="GrpcFlagSource"/> opens its streams on, and its renewal between sessions (see
/// <see cref="Renew"/>). Used only by the source's sync loop; not thread-safe.
/// </summary>
internal sealed class GrpcSyncChannel : IDisposable
{
    private readonly GrpcFlagSourceOptions _options;
    private Uri _serverUrl;
    private readonly ILogger _log;
    private readonly GrpcSyncDiagnostics _diagnostics;
    private GrpcChannel _channel;
    private bool _suspect;

    /// <param name="options">The source's options (handler, backoff bounds, connect timeout).</param>
    /// <param name="serverUrl">The validated server address.</param>
    /// <param name="log">Where a renewal after a stall is logged.</param>
    /// <param name="diagnostics">Counts the channels created.</param>
    public GrpcSyncChannel(GrpcFlagSourceOptions options, Uri serverUrl, ILogger log, GrpcSyncDiagnostics diagnostics)
    {
        _options = options;
        _serverUrl = serverUrl;
        _log = log;
        _diagnostics = diagnostics;
        _channel = CreateChannel();
        Client = new FlagSync.FlagSyncClient(_channel);
    }

    /// <summary>The sync client on the current channel.</summary>
    public FlagSync.FlagSyncClient Client { get; private set; }

    /// <summary>The watchdog gave up on a stream: the connection under it is not to be trusted.</summary>
    public void MarkSuspect() => _suspect = true;

    /// <summary>
    /// After a session ended (other than a resync the server asked for on a healthy connection), drops the channel
    /// and opens a new one for the next attempt, so that this source's backoff is the only one:
    /// <list type="bullet">
    /// <item>A channel keeps its own reconnect backoff (the subchannel's, 1.6x per failure) on top of ours: while it
    /// waits, our attempts fail at once without trying, and a returning server was found seconds late. A new channel
    /// connects at our attempt.</item>
    /// <item>After the watchdog gave up on a stream, a stalled connection stays open as far as the socket knows:
    /// without a new channel the next stream would be multiplexed onto the same dead connection until the keep-alive
    /// ping timed it out (20 + 10 s by default).</item>
    /// </list>
    /// Only when this source created the handler; a handler the caller gave is the caller's to configure (its channel
    /// keeps the channel's backoff, bounded by ReconnectMinDelay .. ReconnectMaxDelay).
    /// </summary>
    public void Renew(GrpcSessionOutcome outcome)
    {
        bool suspect = _suspect;
        _suspect = false;
        if (_options.HttpHandler is not null || (outcome.Kind == GrpcSessionOutcomeKind.Resync && !suspect))
        {
            return;
        }

        var old = _channel;
        _channel = CreateChannel();
        Client = new FlagSync.FlagSyncClient(_channel);
        old.Dispose();
        _diagnostics.ChannelsCreated++;
        if (suspect)
        {
            GrpcFlagSourceLog.ChannelRenewed(_log, _serverUrl);
        }
    }

    /// <summary>Opens a new channel to another address of the same service (the source moves to another replica).</summary>
    /// <param name="serverUrl">The address to use from now on.</param>
    public void MoveTo(Uri serverUrl)
    {
        _serverUrl = serverUrl;
        _suspect = false;
        var old = _channel;
        _channel = CreateChannel();
        Client = new FlagSync.FlagSyncClient(_channel);
        old.Dispose();
        _diagnostics.ChannelsCreated++;
    }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();

    private GrpcChannel CreateChannel()
    {
        var options = _options;
        return GrpcChannel.ForAddress(_serverUrl, new GrpcChannelOptions
        {
            HttpHandler = options.HttpHandler ?? CreateDefaultHandler(options),
            DisposeHttpClient = options.HttpHandler is null,
            // No logger for the channel: it logs every failed reconnect attempt with a stack trace. This source
            // logs each disconnect once, with its reason and the next delay.
            // The channel reconnects its connection on its own schedule while the server is down. With our handler the
            // channel is replaced after each session (see Renew), so this schedule never runs; with a caller-given
            // handler it does, and is kept within ours.
            InitialReconnectBackoff = options.ReconnectMinDelay,
            MaxReconnectBackoff = options.ReconnectMaxDelay,
            // Snapshots of large environments may arrive as one message.
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
    }

    private static SocketsHttpHandler CreateDefaultHandler(GrpcFlagSourceOptions options) => new()
    {
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(20),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = options.ConnectTimeout,
    };
}
