using System.Net;
using System.Threading.Channels;
using FlagKit.Protocol.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// A real gRPC server on 127.0.0.1:0 whose FlagSync stream follows a test's script: the deliberately injected faults
/// (batches cut off, silence, refusals, resyncs, fields from the future) that the real flag server never produces
/// on purpose. Each connection runs the script with its session number.
/// </summary>
internal sealed class ScriptedSyncServer : IAsyncDisposable
{
    private readonly Func<ScriptedSyncSession, Task> _script;
    private WebApplication _app = null!;
    private int _sessions;

    private ScriptedSyncServer(Func<ScriptedSyncSession, Task> script)
    {
        _script = script;
    }

    public Uri Url { get; private set; } = null!;

    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>Every Hello received, in order.</summary>
    public Channel<Hello> Hellos { get; } = Channel.CreateUnbounded<Hello>();

    public static async Task<ScriptedSyncServer> StartAsync(Func<ScriptedSyncSession, Task> script)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var server = new ScriptedSyncServer(script);
        builder.Services.AddSingleton(server);
        WebApplication app = builder.Build();
        server._app = app;
        app.MapGrpcService<ScriptedFlagSync>();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Url = new Uri(address);
        return server;
    }

    internal async Task RunAsync(IAsyncStreamReader<SyncRequest> requests, IServerStreamWriter<SyncResponse> responses, ServerCallContext context)
    {
        int number = Interlocked.Increment(ref _sessions);
        if (!await requests.MoveNext(context.CancellationToken) || requests.Current.KindCase != SyncRequest.KindOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "expected Hello first"));
        }

        Hello hello = requests.Current.Hello;
        await Hellos.Writer.WriteAsync(hello);
        await _script(new ScriptedSyncSession(number, hello, requests, responses, context));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class ScriptedFlagSync(ScriptedSyncServer owner) : FlagSync.FlagSyncBase
    {
        public override Task Sync(IAsyncStreamReader<SyncRequest> requestStream, IServerStreamWriter<SyncResponse> responseStream, ServerCallContext context) =>
            owner.RunAsync(requestStream, responseStream, context);
    }
}

/// <summary>One connection, as the script sees it.</summary>
internal sealed class ScriptedSyncSession(int number, Hello hello, IAsyncStreamReader<SyncRequest> requests, IServerStreamWriter<SyncResponse> responses, ServerCallContext context)
{
    public int Number => number;

    public Hello Hello => hello;

    public CancellationToken Aborted => context.CancellationToken;

    public Task SendAsync(SyncResponse message) => responses.WriteAsync(message, context.CancellationToken);

    public Task WelcomeAsync(long serverRevision, int heartbeatMs = 0) => SendAsync(new SyncResponse
    {
        Welcome = new Welcome { ProtocolVersion = 1, SchemaVersion = 1, ServerId = "scripted", ServerRevision = serverRevision, HeartbeatIntervalMs = heartbeatMs, Environment = hello.Environment },
    });

    public Task TransferredAsync(long revision) => SendAsync(new SyncResponse { Transferred = new Transferred { Revision = revision } });

    /// <summary>Waits for the SDK's next Ack (bounded).</summary>
    public async Task<Ack> ReadAckAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        if (!await requests.MoveNext(timeout.Token))
        {
            throw new InvalidOperationException("the SDK closed the stream instead of acking");
        }

        return requests.Current.Ack ?? throw new InvalidOperationException($"expected Ack, got {requests.Current.KindCase}");
    }

    /// <summary>Holds the stream open until the SDK goes away (bounded).</summary>
    public async Task HoldAsync()
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The SDK closed the stream.
        }
    }
}
