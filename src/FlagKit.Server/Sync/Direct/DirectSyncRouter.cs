using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// Kestrel connection middleware on the gRPC port: looks at a new HTTP/2 connection's first request without consuming
/// anything, and when it is a Sync call (<c>POST /flagkit.v1.FlagSync/Sync</c>, a gRPC content type) serves the
/// connection with <see cref="DirectSyncConnection"/>; anything else (another method first, HTTP/1.1, a connection that
/// sends no request within <see cref="PeekTimeout"/>) goes on to Kestrel untouched.
/// </summary>
/// <remarks>
/// SDKs open their own connection and call only Sync on it, so in practice every SDK's stream is served here. Turned
/// off with <c>FlagKit:Server:DirectSyncConnections=false</c> (then ASP.NET Core serves every call, as before). Only the
/// endpoints the server configures itself get the router; endpoints from <c>Kestrel:Endpoints</c> do not.
/// Thread safety: stateless per connection; safe for concurrent connections.
/// </remarks>
internal sealed class DirectSyncRouter
{
    /// <summary>The Sync method's path.</summary>
    public const string SyncPath = "/flagkit.v1.FlagSync/Sync";

    /// <summary>The HPACK dynamic table size this side advertises (the protocol's default).</summary>
    public const int HeaderTableSize = 4096;

    /// <summary>How long a new connection may take to send its first request before it is left to Kestrel.</summary>
    public static readonly TimeSpan PeekTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of a connection's start read at most to find its first request.</summary>
    private const int PeekLimit = 64 * 1024;

    private readonly IServiceProvider _services;
    private readonly ObjectFactory _serviceFactory;
    private readonly ApiKeyInterceptor _auth;
    private readonly TelemetryIngest _telemetry;
    private long _connectionsServed;

    /// <summary>Creates the router.</summary>
    /// <param name="services">The application's services (the Sync service is made from them per stream).</param>
    /// <param name="options">Server options.</param>
    /// <param name="kestrel">Kestrel's limits (streams per connection, header sizes, keep-alive pings).</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    public DirectSyncRouter(IServiceProvider services, IOptions<FlagServerOptions> options, IOptions<KestrelServerOptions> kestrel, TimeProvider time, ILogger<DirectSyncRouter> logger)
    {
        _services = services;
        _serviceFactory = ActivatorUtilities.CreateFactory(typeof(FlagSyncService), Type.EmptyTypes);
        _auth = ActivatorUtilities.CreateInstance<ApiKeyInterceptor>(services);
        _telemetry = services.GetRequiredService<TelemetryIngest>();
        var server = options.Value;
        var limits = kestrel.Value.Limits;
        Enabled = server.DirectSyncConnections;
        MaxMessageBytes = Math.Min(server.MaxSyncRequestBytes, server.MaxMessageBytes);
        MaxStreamsPerConnection = limits.Http2.MaxStreamsPerConnection;
        MaxHeaderListSize = limits.MaxRequestHeadersTotalSize;
        MaxHeaderBlockBytes = Math.Max(limits.MaxRequestHeadersTotalSize, limits.Http2.MaxRequestHeaderFieldSize);
        KeepAliveDelay = limits.Http2.KeepAlivePingDelay == TimeSpan.MaxValue ? TimeSpan.Zero : limits.Http2.KeepAlivePingDelay;
        KeepAliveTimeout = limits.Http2.KeepAlivePingTimeout;
        IdleTimeout = limits.KeepAliveTimeout;
        ServerSettings = new byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ServerSettings, 0x3);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(ServerSettings.AsSpan(2), (uint)MaxStreamsPerConnection);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ServerSettings.AsSpan(6), 0x6);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(ServerSettings.AsSpan(8), (uint)MaxHeaderListSize);
        Time = time;
        Logger = logger;
    }

    /// <summary>The Sync path's bytes.</summary>
    public static ReadOnlySpan<byte> SyncPathBytes => "/flagkit.v1.FlagSync/Sync"u8;

    /// <summary>Whether Sync connections are served here.</summary>
    public bool Enabled { get; }

    /// <summary>The largest request message.</summary>
    public int MaxMessageBytes { get; }

    /// <summary>Streams a connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS).</summary>
    public int MaxStreamsPerConnection { get; }

    /// <summary>The largest decoded header list (SETTINGS_MAX_HEADER_LIST_SIZE).</summary>
    public int MaxHeaderListSize { get; }

    /// <summary>The largest encoded header block.</summary>
    public int MaxHeaderBlockBytes { get; }

    /// <summary>Quiet time before a keep-alive PING (zero: none).</summary>
    public TimeSpan KeepAliveDelay { get; }

    /// <summary>How long a PING may go unanswered before the connection is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; }

    /// <summary>How long a connection without any stream stays open (Kestrel's KeepAliveTimeout).</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>
    /// The SETTINGS payload of the server's connection preface: MAX_CONCURRENT_STREAMS and MAX_HEADER_LIST_SIZE, the
    /// values Kestrel's own preface has too (so a connection that goes on to Kestrel may get both).
    /// </summary>
    public byte[] ServerSettings { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>Connections served here since the server started (the others went to Kestrel).</summary>
    public long ConnectionsServed => Interlocked.Read(ref _connectionsServed);

    /// <summary>The log.</summary>
    public ILogger Logger { get; }

    /// <summary>gRPC's form of a peer address: <c>ipv4:1.2.3.4:5</c>, <c>ipv6:[::1]:5</c>, or the endpoint's text.</summary>
    /// <param name="endPoint">The remote end point.</param>
    /// <returns>The peer.</returns>
    public static string FormatPeer(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => $"ipv6:[{ip.Address}]:{ip.Port}",
        IPEndPoint ip => $"ipv4:{ip.Address}:{ip.Port}",
        null => "unknown",
        _ => endPoint.ToString() ?? "unknown",
    };

    /// <summary>The middleware: serves a Sync connection here, passes anything else on.</summary>
    /// <param name="context">The connection.</param>
    /// <param name="next">Kestrel's HTTP handling.</param>
    /// <returns>Completes when the connection is done.</returns>
    public async Task OnConnectedAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var settingsSent = new StrongBox<bool>();
        // The server stopping ends the peek too (else a connection with no request yet holds the stop for PeekTimeout):
        // the connection then goes on to Kestrel, which closes it gracefully.
        var closeRequested = context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        if (!Enabled || !await IsSyncConnectionAsync(context.Transport, settingsSent, context.ConnectionClosed, closeRequested).ConfigureAwait(false))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref _connectionsServed);
        await new DirectSyncConnection(context, this, settingsSent.Value).RunAsync().ConfigureAwait(false);
    }

    /// <summary>Runs the Sync service for a stream: the API key interceptor, then <see cref="FlagSyncService.Sync"/>.</summary>
    /// <param name="stream">The stream (its call context, reader and writer).</param>
    /// <returns>The handler.</returns>
    public Task InvokeAsync(DirectSyncStream stream)
    {
        var service = (FlagSyncService)_serviceFactory(_services, null);
        var telemetry = _telemetry;
        return _auth.DuplexStreamingServerHandler<SyncRequestFrame, SyncFrame>(
            stream,
            stream,
            stream,
            (requests, responses, call) => service.Sync(new TelemetryGateReader(requests, telemetry, ApiKeyInterceptor.GetCaller(call).Environment), responses, call));
    }

    /// <summary>
    /// Reads (never consumes) the connection's first bytes until its first request's header block is complete, and
    /// decodes it with a decoder of its own: Kestrel, or the direct connection, then reads the same bytes from the start.
    /// </summary>
    /// <remarks>
    /// A client that waits for the server's SETTINGS before its first request (grpc-go does) gets them as soon as its
    /// preface is seen (<paramref name="settingsSent"/> then true); otherwise it would wait for <see cref="PeekTimeout"/>.
    /// </remarks>
    private async Task<bool> IsSyncConnectionAsync(IDuplexPipe transport, StrongBox<bool> settingsSent, CancellationToken closed, CancellationToken closeRequested)
    {
        var input = transport.Input;
        using var timeout = new CancellationTokenSource(PeekTimeout, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, closed, closeRequested);
        var needed = Http2Frame.ClientPreface.Length + Http2Frame.HeaderLength;
        try
        {
            while (true)
            {
                var result = await input.ReadAtLeastAsync(needed, linked.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var length = buffer.Length;
                bool? decision;
                try
                {
                    decision = Examine(buffer, ref needed);
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.Start);
                }

                if (decision is { } known)
                {
                    return known;
                }

                if (result.IsCompleted || result.IsCanceled || needed > PeekLimit)
                {
                    return false;
                }

                if (!settingsSent.Value && length >= Http2Frame.ClientPreface.Length)
                {
                    // An HTTP/2 client preface (Examine matched it) and no request yet: the server's preface now.
                    settingsSent.Value = true;
                    await SendServerSettingsAsync(transport.Output, linked.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task SendServerSettingsAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        var frame = new byte[Http2Frame.HeaderLength + ServerSettings.Length];
        Http2Frame.Write(frame, ServerSettings.Length, Http2FrameType.Settings, 0, 0);
        ServerSettings.CopyTo(frame.AsSpan(Http2Frame.HeaderLength));
        await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True or false once the first request is known; null with <paramref name="needed"/> raised when more bytes are needed.</summary>
    private bool? Examine(ReadOnlySequence<byte> buffer, ref int needed)
    {
        var preface = Http2Frame.ClientPreface;
        Span<byte> start = stackalloc byte[preface.Length];
        var have = (int)Math.Min(buffer.Length, preface.Length);
        buffer.Slice(0, have).CopyTo(start);
        if (!start[..have].SequenceEqual(preface[..have]))
        {
            return false;
        }

        long position = preface.Length;
        ArrayBufferWriter<byte>? block = null;
        while (true)
        {
            if (buffer.Length < position + Http2Frame.HeaderLength)
            {
                needed = (int)position + Http2Frame.HeaderLength;
                return null;
            }

            var frame = Http2Frame.Read(buffer.Slice(position));
            if (frame.Length > Http2Frame.DefaultMaxFrameSize)
            {
                return false;
            }

            if (buffer.Length < position + Http2Frame.HeaderLength + frame.Length)
            {
                needed = (int)position + Http2Frame.HeaderLength + frame.Length;
                return null;
            }

            var payload = buffer.Slice(position + Http2Frame.HeaderLength, frame.Length);
            position += Http2Frame.HeaderLength + frame.Length;
            if (block is null && frame.Type != Http2FrameType.Headers)
            {
                if (frame.Type == Http2FrameType.Continuation)
                {
                    return false;
                }

                // SETTINGS, WINDOW_UPDATE, PRIORITY, PING before the first request.
                continue;
            }

            if (block is not null && frame.Type != Http2FrameType.Continuation)
            {
                return false;
            }

            block ??= new ArrayBufferWriter<byte>(frame.Length);
            if (!AppendFragment(frame, payload, block))
            {
                return false;
            }

            if ((frame.Flags & Http2Frame.EndHeaders) != 0)
            {
                return IsSyncRequest(block.WrittenSpan);
            }
        }
    }

    private static bool AppendFragment(Http2Frame frame, ReadOnlySequence<byte> payload, ArrayBufferWriter<byte> block)
    {
        if (frame.TryGetContent(payload, out var fragment) is not null)
        {
            return false;
        }

        foreach (var segment in fragment)
        {
            block.Write(segment.Span);
        }

        return true;
    }

    private bool IsSyncRequest(ReadOnlySpan<byte> block)
    {
        var probe = new PathProbe();
        try
        {
            new HpackDecoder(HeaderTableSize, MaxHeaderListSize).Decode(block, probe);
        }
        catch (HpackException)
        {
            return false;
        }

        return probe.Fields.IsSync;
    }

    /// <summary>Collects the routing fields of the first request.</summary>
    private sealed class PathProbe : IHpackHeaderHandler
    {
        private RequestFields _fields = new(collect: false);

        public RequestFields Fields => _fields;

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => _fields.Add(name, value);
    }
}
