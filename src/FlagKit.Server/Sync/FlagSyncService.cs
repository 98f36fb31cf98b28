using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Sync;

/// <summary>
/// <c>flagkit.v1.FlagSync/Sync</c>: Hello → version negotiation → Welcome → the first batch (only the missed
/// changes, or a full snapshot) → every later change as it commits, heartbeats, and Resync / GoingAway when the
/// stream must end. Acks from the SDK are recorded per instance for <c>ListInstances</c>.
/// </summary>
/// <remarks>
/// Responses are written as pre-serialized <see cref="SyncFrame"/>s (see <see cref="SyncMethodProvider"/>): a change
/// is serialized once per environment, not once per subscriber.
/// </remarks>
internal sealed class FlagSyncService
{
    /// <summary>Protocol versions this server speaks.</summary>
    public static readonly IReadOnlyList<int> ProtocolVersions = [1];

    /// <summary>Flag document schema versions this server stores and sends.</summary>
    public static readonly IReadOnlyList<int> SchemaVersions = [FlagFile.CurrentSchema];

    private readonly HubRegistry _hubs;
    private readonly InstanceRegistry _instances;
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FlagSyncService> _logger;

    /// <summary>Creates the service (one per call, as gRPC services are).</summary>
    /// <param name="hubs">The environment hubs.</param>
    /// <param name="instances">Connected instances.</param>
    /// <param name="options">Server options.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    public FlagSyncService(HubRegistry hubs, InstanceRegistry instances, IOptions<FlagServerOptions> options, TimeProvider time, ILogger<FlagSyncService> logger)
    {
        _hubs = hubs;
        _instances = instances;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Chooses the highest version both sides speak.</summary>
    /// <param name="what">What is negotiated (for the message).</param>
    /// <param name="ours">This server's versions.</param>
    /// <param name="theirs">The SDK's versions.</param>
    /// <returns>The chosen version.</returns>
    /// <exception cref="RpcException">FAILED_PRECONDITION naming both sides' versions when there is none.</exception>
    public static int Negotiate(string what, IReadOnlyList<int> ours, IReadOnlyCollection<int> theirs)
    {
        var common = ours.Intersect(theirs).DefaultIfEmpty(0).Max();
        if (common == 0)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"No common {what} version: the server speaks [{string.Join(", ", ours)}], the SDK offers [{string.Join(", ", theirs)}]."));
        }

        return common;
    }

    /// <summary>Runs one stream until the SDK leaves, falls behind, its key is revoked, or the server stops.</summary>
    /// <param name="requests">Hello, then Acks.</param>
    /// <param name="responses">Frames to the SDK.</param>
    /// <param name="context">The call.</param>
    /// <returns>Completes when the stream ends.</returns>
    public async Task Sync(IAsyncStreamReader<SyncRequest> requests, IServerStreamWriter<SyncFrame> responses, ServerCallContext context)
    {
        var caller = ApiKeyInterceptor.GetCaller(context);
        var hello = await ReadHelloAsync(requests, context).ConfigureAwait(false);
        var environment = hello.Environment.Length > 0 ? hello.Environment : caller.Environment ?? "";
        if (!caller.MayRead(environment))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"Key {caller.KeyId} reads environment '{caller.Environment}', not '{environment}'."));
        }

        var protocol = Negotiate("protocol", ProtocolVersions, hello.ProtocolVersions);
        var schema = Negotiate("flag schema", SchemaVersions, hello.SchemaVersions);
        if (_hubs.IsStopping)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "The server is shutting down."));
        }

        if (!_hubs.TryGet(environment, out var hub))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Environment '{environment}' does not exist."));
        }

        var streamId = _hubs.NextStreamId();
        using var subscriber = new SyncSubscriber(streamId, caller.KeyId, _options.SubscriberQueueCapacity);
        var (revision, full) = hub.Subscribe(subscriber, hello.LastRevision);
        _instances.Connected(streamId, hello, environment, context.Peer, _time.GetUtcNow());
        _logger.LogInformation(
            "Stream {StreamId}: instance {InstanceId} ({App} {AppVersion}, {Sdk} {SdkVersion}) on '{Environment}' from revision {LastRevision}: {Batch} to {Revision}",
            streamId, hello.InstanceId, hello.AppName, hello.AppVersion, hello.SdkName, hello.SdkVersion, environment, hello.LastRevision,
            full ? "snapshot" : "delta", revision);

        var http = context.GetHttpContext();
        using var done = new CancellationTokenSource();
        var doneToken = done.Token;
        using var stopAcks = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        using var watchdog = subscriber.Ended.Register(() => _ = AbortIfStuckAsync(http, subscriber, doneToken));
        var acks = ReadAcksAsync(requests, streamId, subscriber, stopAcks.Token);
        try
        {
            await responses.WriteAsync(SyncFrame.From(new SyncResponse
            {
                Welcome = new Welcome
                {
                    ProtocolVersion = protocol,
                    SchemaVersion = schema,
                    ServerId = _hubs.ServerId,
                    ServerRevision = revision,
                    HeartbeatIntervalMs = (int)_options.HeartbeatInterval.TotalMilliseconds,
                    Environment = environment,
                },
            })).ConfigureAwait(false);

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(subscriber.Ended, context.CancellationToken);
            try
            {
                await foreach (var batch in subscriber.Reader.ReadAllAsync(linked.Token).ConfigureAwait(false))
                {
                    // Recorded as the writing begins: the SDK may apply and ack a small delta before this loop resumes
                    // from its last write, and "sent" must never read later than "acked".
                    if (batch.Transfers)
                    {
                        _instances.Sent(streamId, batch.Revision, _time.GetUtcNow());
                    }

                    foreach (var frame in batch.Frames)
                    {
                        await responses.WriteAsync(frame).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                // Ended below.
            }

            if (await FinishAsync(responses, subscriber, streamId, context).ConfigureAwait(false))
            {
                // Let the SDK close the stream after it read the final message: closing it from here could reset the
                // connection before the SDK took the message from its buffer. Bounded by the watchdog's timeout.
                await Task.WhenAny(acks, Task.Delay(_options.FinalMessageTimeout, _time, CancellationToken.None)).ConfigureAwait(false);
            }
        }
        finally
        {
            done.Cancel();
            stopAcks.Cancel();
            subscriber.End(SubscriberEnd.ClientGone, "stream closed");
            hub.Unsubscribe(subscriber);
            _instances.Disconnected(streamId);
            await acks.ConfigureAwait(false);
        }
    }

    private async Task<bool> FinishAsync(IServerStreamWriter<SyncFrame> responses, SyncSubscriber subscriber, long streamId, ServerCallContext context)
    {
        switch (subscriber.EndReason)
        {
            case SubscriberEnd.Resync:
                _logger.LogWarning("Stream {StreamId}: told to resync ({Reason})", streamId, subscriber.EndMessage);
                await responses.WriteAsync(SyncFrame.From(new SyncResponse { Resync = new Resync { Reason = subscriber.EndMessage } })).ConfigureAwait(false);
                return true;
            case SubscriberEnd.GoingAway:
                await responses.WriteAsync(SyncFrame.From(new SyncResponse { GoingAway = new GoingAway { Reason = subscriber.EndMessage } })).ConfigureAwait(false);
                return true;
            case SubscriberEnd.Revoked:
                _logger.LogInformation("Stream {StreamId}: ended, its API key was revoked", streamId);
                throw new RpcException(new Status(StatusCode.Unauthenticated, "The API key of this stream was revoked."));
            default:
                if (context.CancellationToken.IsCancellationRequested)
                {
                    _logger.LogDebug("Stream {StreamId}: the client went away", streamId);
                }

                return false;
        }
    }

    private async Task<Hello> ReadHelloAsync(IAsyncStreamReader<SyncRequest> requests, ServerCallContext context)
    {
        using var timeout = new CancellationTokenSource(_options.HelloTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.CancellationToken);
        try
        {
            if (await requests.MoveNext(linked.Token).ConfigureAwait(false) && requests.Current.KindCase == SyncRequest.KindOneofCase.Hello)
            {
                return requests.Current.Hello;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"No Hello within {_options.HelloTimeout.TotalSeconds:0.#}s."));
        }

        throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message of a Sync stream must be a Hello."));
    }

    private async Task ReadAcksAsync(IAsyncStreamReader<SyncRequest> requests, long streamId, SyncSubscriber subscriber, CancellationToken callEnded)
    {
        await Task.Yield();
        try
        {
            while (await requests.MoveNext(callEnded).ConfigureAwait(false))
            {
                if (requests.Current.KindCase == SyncRequest.KindOneofCase.Ack)
                {
                    _instances.Acked(streamId, requests.Current.Ack, _time.GetUtcNow());
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or RpcException)
        {
            // The call ended under the reader; nothing more will come.
        }
        finally
        {
            subscriber.End(SubscriberEnd.ClientGone, "the SDK closed the stream");
        }
    }

    private async Task AbortIfStuckAsync(HttpContext http, SyncSubscriber subscriber, CancellationToken done)
    {
        // A subscriber that does not read cannot take its last message either: give it a bounded time, then abort the
        // HTTP/2 stream so that nothing of it stays in server memory.
        try
        {
            await Task.Delay(_options.FinalMessageTimeout, _time, done).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (done.IsCancellationRequested)
        {
            return;
        }

        _logger.LogWarning("Stream {StreamId}: did not take its final message within {Timeout}; aborting", subscriber.Id, _options.FinalMessageTimeout);
        http.Abort();
    }
}

/// <summary>
/// Binds <see cref="FlagSyncService.Sync"/> to <c>/flagkit.v1.FlagSync/Sync</c> with a response marshaller that writes
/// pre-serialized frames. The wire format is exactly the generated <c>SyncResponse</c>'s.
/// </summary>
internal sealed class SyncMethodProvider : IServiceMethodProvider<FlagSyncService>
{
    /// <summary>The method, as the generated client calls it.</summary>
    public static readonly Method<SyncRequest, SyncFrame> SyncMethod = new(
        MethodType.DuplexStreaming,
        FlagSync.Descriptor.FullName,
        "Sync",
        new Marshaller<SyncRequest>(
            static (message, context) => context.Complete(Google.Protobuf.MessageExtensions.ToByteArray(message)),
            static context => SyncRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence())),
        SyncFrame.Marshaller);

    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FlagSyncService> context) =>
        context.AddDuplexStreamingMethod(SyncMethod, [], static (service, requests, responses, call) => service.Sync(requests, responses, call));
}
