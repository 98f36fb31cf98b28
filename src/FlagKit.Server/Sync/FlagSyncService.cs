using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Hosting;
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

    /// <summary>Versions a Hello may offer, per list.</summary>
    public const int MaxOfferedVersions = 16;

    /// <summary>How long a revoked or refused stream may take to end with its status before it is aborted.</summary>
    private static readonly TimeSpan EndedGrace = TimeSpan.FromMilliseconds(250);

    private readonly HubRegistry _hubs;
    private readonly InstanceRegistry _instances;
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FlagSyncService> _logger;
    private readonly Replication.ReplicaListener? _replicas;
    private readonly TelemetryIngest _telemetry;
    private (string Environment, string Instance, int Version) _telemetryStream;

    /// <summary>Where SDK telemetry summaries go (the Sync method's request reader admits them against its limits).</summary>
    internal TelemetryIngest Telemetry => _telemetry;

    /// <summary>Creates the service (one per call, as gRPC services are).</summary>
    /// <param name="hubs">The environment hubs.</param>
    /// <param name="instances">Connected instances.</param>
    /// <param name="options">Server options.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="telemetry">Where SDK telemetry summaries go.</param>
    /// <param name="replicas">With the postgres store: catches this replica up before an SDK that is ahead of it resumes.</param>
    public FlagSyncService(
        HubRegistry hubs, InstanceRegistry instances, IOptions<FlagServerOptions> options, TimeProvider time, ILogger<FlagSyncService> logger,
        TelemetryIngest telemetry, Replication.ReplicaListener? replicas = null)
    {
        _telemetry = telemetry;
        _replicas = replicas;
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
    /// <remarks>
    /// The steps: <see cref="ReadHelloAsync"/> (bounded in time, ended by a revocation), <see cref="Accept"/> (checks and
    /// version negotiation), subscribe, then <see cref="ServeAsync"/> (Welcome, the pump's writing, the final message) beside
    /// <see cref="ReadAcksAsync"/>. The key's revocation token is watched from the moment the call is authenticated:
    /// before Hello, while subscribing, while sending.
    /// </remarks>
    public async Task Sync(IAsyncStreamReader<SyncRequest> requests, IServerStreamWriter<SyncFrame> responses, ServerCallContext context)
    {
        var caller = ApiKeyInterceptor.GetCaller(context);
        caller.ThrowIfRevoked();

        // Accepted (authenticated): the response headers say so at once, before Hello.
        await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);
        var hello = await ReadHelloAsync(requests, caller, context).ConfigureAwait(false);
        var handshake = Accept(caller, hello);
        _telemetryStream = (handshake.Environment, hello.InstanceId, TelemetryIngest.Negotiate(hello));
        var streamId = _hubs.NextStreamId();
        using var subscriber = new SyncSubscriber(streamId, caller.KeyId, _options.SubscriberQueueCapacity) { TakesModes = hello.ModeSchemaVersions.Contains(1) };

        // Registered before the subscriber joins the hub: from here a revocation ends it whatever it is doing.
        using var revocation = caller.Revoked.Register(static s => ((SyncSubscriber)s!).End(SubscriberEnd.Revoked, "the API key was revoked"), subscriber);
        if (_replicas is not null)
        {
            await _replicas.CatchUpForResumeAsync(handshake.Environment, hello.LastRevision, handshake.Hub.Revision, context.CancellationToken).ConfigureAwait(false);
        }

        var (revision, full) = handshake.Hub.Subscribe(subscriber, hello.LastRevision);
        _instances.Connected(streamId, hello, handshake.Environment, context.Peer, _time.GetUtcNow());
        ServerLog.StreamOpened(
            _logger, streamId, UntrustedText.ForLog(hello.InstanceId), UntrustedText.ForLog(hello.AppName), UntrustedText.ForLog(hello.AppVersion),
            UntrustedText.ForLog(hello.SdkName), UntrustedText.ForLog(hello.SdkVersion), handshake.Environment, UntrustedText.ForLog(context.Peer),
            hello.LastRevision, full ? "snapshot" : "delta", revision);
        try
        {
            // The modes are read after the subscriber joined: a later change reaches it as a prioritized frame.
            await ServeAsync(requests, responses, context, subscriber, Welcome(handshake, revision, subscriber.TakesModes ? handshake.Hub.Mode : null)).ConfigureAwait(false);
        }
        finally
        {
            subscriber.End(SubscriberEnd.ClientGone, "stream closed");
            handshake.Hub.Unsubscribe(subscriber);
            _instances.Disconnected(streamId);
        }
    }

    private async Task<Hello> ReadHelloAsync(IAsyncStreamReader<SyncRequest> requests, CallerIdentity caller, ServerCallContext context)
    {
        using var timeout = new CancellationTokenSource(_options.HelloTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.CancellationToken, caller.Revoked);
        try
        {
            if (await requests.MoveNext(linked.Token).ConfigureAwait(false) && requests.Current.KindCase == SyncRequest.KindOneofCase.Hello)
            {
                caller.ThrowIfRevoked();
                return requests.Current.Hello;
            }
        }
        catch (OperationCanceledException) when (caller.Revoked.IsCancellationRequested)
        {
            throw CallerIdentity.RevokedError();
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"No Hello within {_options.HelloTimeout.TotalSeconds:0.#}s."));
        }

        throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message of a Sync stream must be a Hello."));
    }

    /// <summary>Checks a Hello (key, environment, versions, server state) and negotiates the versions.</summary>
    private SyncHandshake Accept(CallerIdentity caller, Hello hello)
    {
        var environment = hello.Environment.Length > 0 ? hello.Environment : caller.Environment ?? "";
        if (!caller.MayRead(environment))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"Key {caller.KeyId} reads environment '{caller.Environment}', not '{environment}'."));
        }

        if (hello.ModeSchemaVersions.Count > MaxOfferedVersions)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"Hello offers {hello.ModeSchemaVersions.Count} mode schema versions; the limit is {MaxOfferedVersions}."));
        }

        if (hello.ProtocolVersions.Count > MaxOfferedVersions || hello.SchemaVersions.Count > MaxOfferedVersions || hello.TelemetryVersions.Count > MaxOfferedVersions)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"Hello offers {hello.ProtocolVersions.Count} protocol and {hello.SchemaVersions.Count} schema and {hello.TelemetryVersions.Count} telemetry versions; the limit is {MaxOfferedVersions} each."));
        }

        var protocol = Negotiate("protocol", ProtocolVersions, hello.ProtocolVersions);
        var schema = Negotiate("flag schema", SchemaVersions, hello.SchemaVersions);
        if (_hubs.IsStopping)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "The server is shutting down."));
        }

        return _hubs.TryGet(environment, out var hub)
            ? new SyncHandshake(hub, environment, protocol, schema)
            : throw new RpcException(new Status(StatusCode.NotFound, $"Environment '{environment}' does not exist."));
    }

    private SyncFrame Welcome(SyncHandshake handshake, long revision, ModeState? mode) => SyncFrame.From(new SyncResponse
    {
        Welcome = new Welcome
        {
            ProtocolVersion = handshake.Protocol,
            SchemaVersion = handshake.Schema,
            ServerId = _hubs.ServerId,
            ServerRevision = revision,
            HeartbeatIntervalMs = (int)_options.HeartbeatInterval.TotalMilliseconds,
            Environment = handshake.Environment,
            Mode = mode,
            TelemetryVersion = _telemetryStream.Version,
            MaxTelemetryVariants = TelemetryIngest.MaxVariantsPerSummary,
        },
    });

    /// <summary>Welcome, the writing (by the pump) and the final message, beside the Ack reader; returns when both are done.</summary>
    private async Task ServeAsync(
        IAsyncStreamReader<SyncRequest> requests, IServerStreamWriter<SyncFrame> responses, ServerCallContext context, SyncSubscriber subscriber, SyncFrame welcome)
    {
        using var done = new CancellationTokenSource();
        var doneToken = done.Token;
        // The call ending ends the subscriber: one registration per stream instead of linked token sources (streams
        // are many and idle; each object they hold counts).
        using var callEnded = context.CancellationToken.Register(static s => ((SyncSubscriber)s!).End(SubscriberEnd.ClientGone, "the call ended"), subscriber);
        var acks = ReadAcksAsync(requests, subscriber, doneToken);
        try
        {
            var watched = false;

            // Ended already (its key revoked while it subscribed): no Welcome, only the final status.
            if (subscriber.EndReason == SubscriberEnd.None)
            {
                var welcoming = responses.WriteAsync(welcome);
                if (!welcoming.IsCompleted && await Task.WhenAny(welcoming, subscriber.Ended).ConfigureAwait(false) != welcoming)
                {
                    // Ended while the Welcome waits on a client that does not read: the watchdog bounds the wait.
                    _ = AbortIfStuckAsync(context, subscriber, doneToken);
                    watched = true;
                }

                await welcoming.ConfigureAwait(false);

                // From here the pump writes every queued batch into the body: nothing waits per stream but the await below.
                subscriber.Attach(ResponseBody(context), _hubs.Pump, _instances, _time);
            }

            await subscriber.Ended.ConfigureAwait(false);
            if (!watched)
            {
                _ = AbortIfStuckAsync(context, subscriber, doneToken);
            }

            // A write in progress (a flush the transport holds back) ends first; the watchdog aborts it if it does not.
            await subscriber.WhenWriterStopped().ConfigureAwait(false);
            if (subscriber.WriteFailure is { } failure)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }

            if (await FinishAsync(responses, subscriber, context).ConfigureAwait(false))
            {
                // Let the SDK close the stream after it read the final message: closing it from here could reset the
                // connection before the SDK took the message from its buffer. Bounded by the watchdog's timeout.
                await Task.WhenAny(acks, Task.Delay(_options.FinalMessageTimeout, _time, CancellationToken.None)).ConfigureAwait(false);
            }
        }
        finally
        {
            done.Cancel();
            await acks.ConfigureAwait(false);
        }
    }

    private async Task<bool> FinishAsync(IServerStreamWriter<SyncFrame> responses, SyncSubscriber subscriber, ServerCallContext context)
    {
        if (context.CancellationToken.IsCancellationRequested && subscriber.EndReason is SubscriberEnd.Resync or SubscriberEnd.GoingAway)
        {
            // The client is gone already: there is no one to tell.
            return false;
        }

        switch (subscriber.EndReason)
        {
            case SubscriberEnd.Resync:
                ServerLog.StreamResync(_logger, subscriber.Id, subscriber.EndMessage);
                await responses.WriteAsync(SyncFrame.From(new SyncResponse { Resync = new Resync { Reason = subscriber.EndMessage } })).ConfigureAwait(false);
                return true;
            case SubscriberEnd.GoingAway:
                await responses.WriteAsync(SyncFrame.From(new SyncResponse { GoingAway = new GoingAway { Reason = subscriber.EndMessage } })).ConfigureAwait(false);
                return true;
            case SubscriberEnd.Revoked:
                ServerLog.StreamRevoked(_logger, subscriber.Id);
                throw CallerIdentity.RevokedError();
            case SubscriberEnd.Refused:
                throw new RpcException(new Status(StatusCode.InvalidArgument, subscriber.EndMessage));
            default:
                if (context.CancellationToken.IsCancellationRequested)
                {
                    ServerLog.StreamClientGone(_logger, subscriber.Id);
                }

                return false;
        }
    }

    private async Task ReadAcksAsync(IAsyncStreamReader<SyncRequest> requests, SyncSubscriber subscriber, CancellationToken callEnded)
    {
        await Task.Yield();
        try
        {
            while (await requests.MoveNext(callEnded).ConfigureAwait(false))
            {
                if (requests.Current.KindCase == SyncRequest.KindOneofCase.Ack)
                {
                    _instances.Acked(subscriber.Id, requests.Current.Ack, _time.GetUtcNow());
                }
                else if (requests.Current.KindCase == SyncRequest.KindOneofCase.Telemetry)
                {
                    _telemetry.Receive(_telemetryStream.Environment, _telemetryStream.Instance, _telemetryStream.Version, requests.Current.Telemetry);
                }
            }
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.ResourceExhausted)
        {
            // A message over a bound, or not a SyncRequest: the stream ends with the reason (INVALID_ARGUMENT).
            ServerLog.StreamMessageRefused(_logger, subscriber.Id, UntrustedText.ForLog(e.Status.Detail));
            subscriber.End(SubscriberEnd.Refused, e.Status.Detail);
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

    /// <summary>The response body the pump writes into: the direct stream's, or the ASP.NET Core response's.</summary>
    private static System.IO.Pipelines.PipeWriter ResponseBody(ServerCallContext context) =>
        context is Direct.DirectSyncStream direct ? direct.Body : context.GetHttpContext().Response.BodyWriter;

    private async Task AbortIfStuckAsync(ServerCallContext context, SyncSubscriber subscriber, CancellationToken done)
    {
        // A subscriber that does not read cannot take its last message either: give it a bounded time, then abort the
        // HTTP/2 stream so that nothing of it stays in server memory. A revoked or refused stream has no message to
        // take: it gets only the moment its handler needs to end it with a status.
        var grace = subscriber.EndReason is SubscriberEnd.Revoked or SubscriberEnd.Refused
            ? TimeSpan.FromTicks(Math.Min(_options.FinalMessageTimeout.Ticks, EndedGrace.Ticks))
            : _options.FinalMessageTimeout;
        try
        {
            await Task.Delay(grace, _time, done).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (done.IsCancellationRequested)
        {
            return;
        }

        ServerLog.StreamAborted(_logger, subscriber.Id, grace, subscriber.EndReason);
        if (context is Direct.DirectSyncStream direct)
        {
            direct.Connection.AbortStream(direct);
        }
        else
        {
            context.GetHttpContext().Abort();
        }
    }
}
