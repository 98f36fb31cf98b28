using System.Reflection;
using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Sources.Caching;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ProtoDocumentFailure = FlagKit.Protocol.V1.DocumentFailure;

namespace FlagKit.Sources;

/// <summary>
/// Keeps a <see cref="FlagClient"/> in sync with a FlagKit flag server over one long-lived gRPC stream, with a disk
/// cache of the last good snapshot for starts while the server is unreachable.
/// </summary>
/// <remarks>
/// <para>
/// The stream: the source sends <c>Hello</c> (who it is, the protocol and schema versions it speaks, the last
/// revision it holds), the server answers <c>Welcome</c> and then batches (a full snapshot, or only the changes
/// since that revision), each closed by a <c>Transferred</c> marker. A batch is built aside, through the SDK's own
/// compiler, and published only when its marker arrives; a batch cut off by a dropped connection is discarded whole.
/// A document that cannot be compiled keeps that flag's last good version and is reported to the server in the
/// <c>Ack</c> that follows every batch.
/// </para>
/// <para>
/// Reconnects use exponential backoff with full jitter (<see cref="GrpcFlagSourceOptions.ReconnectMinDelay"/> to
/// <see cref="GrpcFlagSourceOptions.ReconnectMaxDelay"/>) and resume from the last complete revision. Three missed
/// heartbeats count as a dead stream. A refusal that cannot heal by itself (wrong key, key not allowed, no common
/// version) puts the client in <see cref="FlagClientStatus.Failed"/> with the server's message; the source keeps
/// serving what it has and retries every <see cref="GrpcFlagSourceOptions.FailedRetryDelay"/>.
/// </para>
/// <para>
/// Status: <c>Ready</c> once a batch from the server is applied; <c>Stale</c> while serving the disk cache, or after
/// the connection was lost and a reconnect failed; <c>Failed</c> on a refusal. The source never throws into the
/// client after it started; all failures are logged and reflected in the status.
/// </para>
/// <para>Thread safety: construct, hand to one <see cref="FlagClient"/>, dispose once.</para>
/// </remarks>
public sealed class GrpcFlagSource : FlagSource
{
    /// <summary>The name this SDK gives in <c>Hello.sdk_name</c>.</summary>
    public const string SdkName = "flagkit-dotnet";

    private const int ProtocolVersion = 1;
    private static readonly string ProcessInstance = Guid.NewGuid().ToString("N")[..12];
    private static int s_instanceCounter;

    private readonly GrpcFlagSourceOptions _options;
    private readonly Uri _serverUrl;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    // Replaced (only by the sync loop, between sessions) when the watchdog finds the connection dead; see RenewChannel.
    private GrpcChannel _channel;
    private FlagSync.FlagSyncClient _client;
    private bool _connectionSuspect;
    private readonly GrpcReconnectBackoff _backoff;
    private readonly DiskSnapshotCache? _cache;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ISnapshotSink? _sink;
    private Task _loop = Task.CompletedTask;

    // Guarded by _gate: what the source holds and what it told the client.
    private FlagSnapshot? _held;
    private long _resumeRevision;
    private bool _servedFromServer;
    private bool _servingCache;
    private FlagSnapshot? _cachedSnapshot;
    private DiskSnapshotCacheHeader? _cachedHeader;
    private string? _cacheProblem;
    private FlagClientStatus? _status;
    private string? _statusReason;
    private string? _lastError;

    /// <summary>Creates a source for one server and environment. Nothing connects until the client starts it.</summary>
    /// <param name="options">Where and who; read once (see <see cref="GrpcFlagSourceOptions"/>).</param>
    /// <param name="timeProvider">The clock for timeouts, heartbeats and backoff; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Where to log connection changes and rejected documents; nothing when null.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range (the message names it).</exception>
    public GrpcFlagSource(GrpcFlagSourceOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _serverUrl = Validate(options);
        _time = timeProvider ?? TimeProvider.System;
        _log = (ILogger?)loggerFactory?.CreateLogger<GrpcFlagSource>() ?? NullLogger.Instance;
        InstanceId = $"{ProcessInstance}-{Interlocked.Increment(ref s_instanceCounter)}";
        _backoff = new GrpcReconnectBackoff(options.ReconnectMinDelay, options.ReconnectMaxDelay, _time);
        if (!string.IsNullOrWhiteSpace(options.CacheDirectory))
        {
            string path = DiskSnapshotCache.PathFor(options.CacheDirectory, options.Environment, _serverUrl.ToString());
            _cache = new DiskSnapshotCache(path, options.Environment, _serverUrl.ToString(), _time);
        }

        _channel = CreateChannel();
        _client = new FlagSync.FlagSyncClient(_channel);
    }

    private GrpcChannel CreateChannel()
    {
        var options = _options;
        return GrpcChannel.ForAddress(_serverUrl, new GrpcChannelOptions
        {
            HttpHandler = options.HttpHandler ?? CreateDefaultHandler(options),
            DisposeHttpClient = options.HttpHandler is null,
            // No logger for the channel: it logs every failed reconnect attempt with a stack trace. This source
            // logs each disconnect once, with its reason and the next delay.
            // The channel reconnects its connection on its own schedule while the server is down; keep that schedule
            // within ours so that a returning server is found about as fast as our own backoff promises.
            InitialReconnectBackoff = options.ReconnectMinDelay,
            MaxReconnectBackoff = options.ReconnectMaxDelay,
            // Snapshots of large environments may arrive as one message.
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
    }

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
    private void RenewChannel(GrpcSessionOutcome outcome)
    {
        bool suspect = _connectionSuspect;
        _connectionSuspect = false;
        if (_options.HttpHandler is not null || (outcome.Kind == GrpcSessionOutcomeKind.Resync && !suspect))
        {
            return;
        }

        var old = _channel;
        _channel = CreateChannel();
        _client = new FlagSync.FlagSyncClient(_channel);
        old.Dispose();
        Diagnostics.ChannelsCreated++;
        if (suspect)
        {
            GrpcFlagSourceLog.ChannelRenewed(_log, _serverUrl);
        }
    }

    /// <summary>This source's instance id as the server lists it (<c>Hello.instance_id</c>): unique per process and source.</summary>
    public string InstanceId { get; }

    /// <summary>The disk cache file, or <see langword="null"/> when caching is off.</summary>
    public string? CacheFilePath => _cache?.FilePath;

    /// <summary>
    /// The status this source last reported and why. The client raises <c>StatusChanged</c> only when the status
    /// changes, so a new reason for the same status (e.g. still Starting, now because the server is unreachable)
    /// is read here by the health check.
    /// </summary>
    internal (FlagClientStatus? Status, string? Detail) LastReported
    {
        get
        {
            lock (_gate)
            {
                return (_status, _statusReason);
            }
        }
    }

    /// <summary>Counters and the last batch, for tests and diagnostics.</summary>
    internal GrpcSyncDiagnostics Diagnostics { get; } = new();

    /// <summary>
    /// Opens the stream in the background. The returned task completes when there is something to serve or nothing
    /// more to wait for: the first batch from the server is applied, the start timeout passed (the disk cache, if
    /// any, is then served), or the server refused this SDK. It never faults; failures show in the status.
    /// </summary>
    internal override Task StartAsync(ISnapshotSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_sink is not null)
            {
                throw new InvalidOperationException("This GrpcFlagSource has already been started; a source serves one client.");
            }

            ObjectDisposedException.ThrowIf(_lifetime.IsCancellationRequested, this);
            _sink = sink;
        }

        CancellationToken lifetime = _lifetime.Token;
        _loop = Task.Run(() => RunAsync(sink, lifetime), CancellationToken.None);
        return _started.Task;
    }

    /// <summary>Closes the stream and stops reconnecting. The client keeps its last snapshot.</summary>
    /// <returns>Completes when the background loop has ended.</returns>
    public override async ValueTask DisposeAsync()
    {
        if (_lifetime.IsCancellationRequested)
        {
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        _started.TrySetResult();
        _channel.Dispose();
        _lifetime.Dispose();
    }

    private async Task RunAsync(ISnapshotSink sink, CancellationToken ct)
    {
        LoadCache();
        if (_options.ServeCacheWhileConnecting)
        {
            ServeCache(sink, $"connecting to {_serverUrl} (ServeCacheWhileConnecting)");
        }

        Task startTimeout = ServeCacheAfterStartTimeoutAsync(sink, ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                GrpcSessionOutcome outcome = await RunSessionAsync(sink, ct).ConfigureAwait(false);
                if (ct.IsCancellationRequested)
                {
                    break;
                }

                Diagnostics.LastDisconnect = outcome.Describe();
                RenewChannel(outcome);
                TimeSpan wait = OnSessionEnded(sink, outcome);
                if (outcome.Kind != GrpcSessionOutcomeKind.Resync)
                {
                    // Nothing from the server yet and it said no (refused, unreachable): the cache need not wait for
                    // StartTimeout. No-op once anything was served.
                    ServeCache(sink, $"the server at {_serverUrl} is unreachable ({outcome.Describe()})");
                }

                GrpcFlagSourceLog.Reconnecting(_log, outcome.Describe(), wait);
                await Task.Delay(wait, _time, ct).ConfigureAwait(false);
            }
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Disposed: the stream ends with a cancellation (RpcException CANCELLED or OperationCanceledException).
        }
        catch (Exception e)
        {
            // A bug here must not take the process down; the client keeps serving what it has.
            GrpcFlagSourceLog.LoopCrashed(_log, e);
            SetStatus(sink, FlagClientStatus.Failed, $"the sync loop stopped on an unexpected error: {e.Message}");
            _started.TrySetResult();
        }

        try
        {
            await startTimeout.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposed before the start timeout.
        }
    }

    private TimeSpan OnSessionEnded(ISnapshotSink sink, GrpcSessionOutcome outcome)
    {
        switch (outcome.Kind)
        {
            case GrpcSessionOutcomeKind.Refused:
                lock (_gate)
                {
                    _lastError = outcome.Message;
                }

                string serving = ServingDescription();
                SetStatus(sink, FlagClientStatus.Failed, $"the server refused this SDK: {outcome.Message}. {serving}; retrying every {_options.FailedRetryDelay}.");
                _started.TrySetResult();
                // Slow, jittered in [50 %, 100 %] of the delay so that a fleet does not retry in step.
                return TimeSpan.FromTicks((long)(_options.FailedRetryDelay.Ticks * (0.5 + (Random.Shared.NextDouble() / 2))));

            case GrpcSessionOutcomeKind.Resync:
                _backoff.Reset();
                return _backoff.NextDelay();

            default:
                lock (_gate)
                {
                    _lastError = outcome.Describe();
                }

                // A clean end (server going away, stream closed) keeps Ready until a reconnect attempt fails;
                // a broken or unreachable stream means what we serve may be behind.
                if (!outcome.IsClean && _status is FlagClientStatus.Ready)
                {
                    SetStatus(sink, FlagClientStatus.Stale, $"lost the connection to {_serverUrl} ({outcome.Describe()}); serving revision {HeldRevision()} and reconnecting");
                }

                return _backoff.NextDelay();
        }
    }

    private async Task<GrpcSessionOutcome> RunSessionAsync(ISnapshotSink sink, CancellationToken lifetime)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        using var watchdog = new GrpcStreamWatchdog(_time, session);
        long helloRevision;
        lock (_gate)
        {
            helloRevision = _resumeRevision;
        }

        Diagnostics.Sessions++;
        Diagnostics.LastHelloRevision = helloRevision;
        var headers = new Metadata { { "authorization", "Bearer " + _options.ApiKey } };
        watchdog.Arm(_options.ConnectTimeout);
        try
        {
            using AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call = _client.Sync(headers, cancellationToken: session.Token);
            await call.RequestStream.WriteAsync(new SyncRequest { Hello = BuildHello(helloRevision) }, session.Token).ConfigureAwait(false);

            var batch = new GrpcSyncBatch();
            Welcome? welcome = null;
            while (await call.ResponseStream.MoveNext(session.Token).ConfigureAwait(false))
            {
                watchdog.Touch();
                SyncResponse message = call.ResponseStream.Current;
                string? violation = null;
                switch (message.KindCase)
                {
                    case SyncResponse.KindOneofCase.Welcome:
                        welcome = message.Welcome;
                        if (welcome.ProtocolVersion != ProtocolVersion || welcome.SchemaVersion != FlagFile.CurrentSchema)
                        {
                            return GrpcSessionOutcome.Refused(
                                $"the server chose protocol {welcome.ProtocolVersion} / schema {welcome.SchemaVersion}; this SDK speaks protocol [{ProtocolVersion}] / schema [{FlagFile.CurrentSchema}]");
                        }

                        watchdog.Arm(welcome.HeartbeatIntervalMs > 0 ? TimeSpan.FromMilliseconds(welcome.HeartbeatIntervalMs * 3L) : Timeout.InfiniteTimeSpan);
                        GrpcFlagSourceLog.Connected(_log, _serverUrl, welcome.ServerId, welcome.Environment, welcome.ServerRevision, helloRevision);
                        break;
                    case SyncResponse.KindOneofCase.Snapshot:
                        violation = welcome is null ? "a Snapshot arrived before Welcome" : batch.Add(message.Snapshot);
                        break;
                    case SyncResponse.KindOneofCase.Delta:
                        violation = welcome is null ? "a Delta arrived before Welcome" : batch.Add(message.Delta, HeldRevision());
                        break;
                    case SyncResponse.KindOneofCase.Transferred:
                        violation = welcome is null ? "Transferred arrived before Welcome" : batch.CheckTransferred(message.Transferred.Revision);
                        if (violation is null)
                        {
                            await ApplyAsync(sink, batch, message.Transferred, call.RequestStream, session.Token).ConfigureAwait(false);
                            batch = new GrpcSyncBatch();
                            _backoff.Reset();
                        }

                        break;
                    case SyncResponse.KindOneofCase.Heartbeat:
                        break;
                    case SyncResponse.KindOneofCase.Resync:
                        lock (_gate)
                        {
                            _resumeRevision = 0;
                        }

                        GrpcFlagSourceLog.ResyncRequested(_log, message.Resync.Reason);
                        return GrpcSessionOutcome.Resync($"the server asked for a resync: {message.Resync.Reason}");
                    case SyncResponse.KindOneofCase.GoingAway:
                        return GrpcSessionOutcome.Ended($"the server is going away: {message.GoingAway.Reason}");
                    default:
                        // A message kind from a newer server: ignored, as the protocol's compatibility rules say.
                        break;
                }

                if (violation is not null)
                {
                    // Whatever we hold may not be what the server thinks: start over from a full snapshot.
                    lock (_gate)
                    {
                        _resumeRevision = 0;
                    }

                    GrpcFlagSourceLog.ProtocolViolation(_log, violation);
                    return GrpcSessionOutcome.Broken($"protocol violation: {violation}");
                }
            }

            return GrpcSessionOutcome.Ended("the server closed the stream");
        }
        catch (Exception e) when (watchdog.Fired && !lifetime.IsCancellationRequested && e is RpcException or OperationCanceledException or IOException)
        {
            _connectionSuspect = true;
            return GrpcSessionOutcome.Broken(watchdog.Deadline == _options.ConnectTimeout
                ? $"no Welcome from the server within {_options.ConnectTimeout}"
                : $"no message from the server for {watchdog.Deadline} (3 missed heartbeats)");
        }
        catch (RpcException e) when (!lifetime.IsCancellationRequested)
        {
            return e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.FailedPrecondition
                ? GrpcSessionOutcome.Refused($"{e.StatusCode}: {e.Status.Detail}")
                : GrpcSessionOutcome.Broken($"{e.StatusCode}: {e.Status.Detail}");
        }
        catch (Exception e) when (!lifetime.IsCancellationRequested && e is IOException or HttpRequestException or InvalidOperationException)
        {
            return GrpcSessionOutcome.Broken(e.Message);
        }
    }

    private async Task ApplyAsync(ISnapshotSink sink, GrpcSyncBatch batch, Transferred transferred, IClientStreamWriter<SyncRequest> requests, CancellationToken ct)
    {
        long revision = transferred.Revision;
        var failures = new List<Compilation.DocumentFailure>();
        FlagSnapshot previous;
        lock (_gate)
        {
            previous = _held ?? sink.Current;
        }

        FlagSnapshot next;
        int documents;
        if (batch.Kind == GrpcSyncBatchKind.Snapshot)
        {
            documents = batch.SnapshotDocuments.Count;
            next = BuildFromSnapshot(batch.SnapshotDocuments, revision, previous, failures);
        }
        else if (batch.Kind == GrpcSyncBatchKind.None && revision == previous.Revision)
        {
            // Resumed with nothing missed: the marker only confirms what we hold.
            documents = 0;
            next = previous;
        }
        else
        {
            documents = batch.Changes.Count;
            next = BuildFromDelta(batch.Changes, revision, previous, failures);
        }

        lock (_gate)
        {
            _held = next;
            _resumeRevision = revision;
            _servedFromServer = true;
            _servingCache = false;
            if (!ReferenceEquals(next, sink.Current))
            {
                sink.Publish(next);
            }
        }

        Diagnostics.RecordBatch(batch.Kind, batch.FromRevision, revision, documents, failures.Count);
        foreach (Compilation.DocumentFailure failure in failures)
        {
            GrpcFlagSourceLog.DocumentRejected(_log, failure.IsSegment ? "segment" : "flag", failure.Key, revision, failure.Reason);
        }

        SetStatus(sink, FlagClientStatus.Ready, failures.Count == 0 ? null : $"revision {revision}: {failures.Count} document(s) could not be applied and keep their last good version");

        var ack = new Ack { Revision = revision };
        foreach (Compilation.DocumentFailure failure in failures)
        {
            ack.Failures.Add(new ProtoDocumentFailure
            {
                Kind = failure.IsSegment ? DocumentKind.Segment : DocumentKind.Flag,
                Key = failure.Key,
                Reason = failure.Reason,
            });
        }

        await requests.WriteAsync(new SyncRequest { Ack = ack }, ct).ConfigureAwait(false);
        Diagnostics.LastAckedRevision = revision;
        _started.TrySetResult();
        WriteCache(next);
    }

    private FlagSnapshot BuildFromSnapshot(IReadOnlyList<Document> documents, long revision, FlagSnapshot previous, List<Compilation.DocumentFailure> failures)
    {
        var file = new FlagFile { Schema = FlagFile.CurrentSchema };
        FlagFile? previousFile = null;
        foreach (Document document in documents)
        {
            switch (document.Kind)
            {
                case DocumentKind.Flag:
                    if (TryParse(document, failures, out FlagDocument? flag))
                    {
                        file.Flags.Add(flag);
                    }
                    else if ((previousFile ??= previous.ToFile()).Flags.Find(f => f.Key == document.Key) is { } lastGood)
                    {
                        file.Flags.Add(lastGood);
                    }

                    break;
                case DocumentKind.Segment:
                    if (TryParse(document, failures, out SegmentDocument? segment))
                    {
                        file.Segments.Add(segment);
                    }
                    else if ((previousFile ??= previous.ToFile()).Segments.Find(s => s.Key == document.Key) is { } lastGood)
                    {
                        file.Segments.Add(lastGood);
                    }

                    break;
                default:
                    failures.Add(new Compilation.DocumentFailure(false, document.Key, $"unknown document kind {(int)document.Kind}"));
                    break;
            }
        }

        return SnapshotBuilder.BuildLenient(file, revision, previous, failures);
    }

    private static FlagSnapshot BuildFromDelta(IReadOnlyDictionary<(DocumentKind Kind, string Key), Document?> changes, long revision, FlagSnapshot previous, List<Compilation.DocumentFailure> failures)
    {
        var upsertFlags = new List<FlagDocument>();
        var upsertSegments = new List<SegmentDocument>();
        var removedFlags = new List<string>();
        var removedSegments = new List<string>();
        foreach (((DocumentKind kind, string key), Document? document) in changes)
        {
            switch (kind)
            {
                case DocumentKind.Flag when document is null:
                    removedFlags.Add(key);
                    break;
                case DocumentKind.Flag:
                    // A document that does not parse is left out: the flag keeps its last good version.
                    if (TryParse(document, failures, out FlagDocument? flag))
                    {
                        upsertFlags.Add(flag);
                    }

                    break;
                case DocumentKind.Segment when document is null:
                    removedSegments.Add(key);
                    break;
                case DocumentKind.Segment:
                    if (TryParse(document, failures, out SegmentDocument? segment))
                    {
                        upsertSegments.Add(segment);
                    }

                    break;
                default:
                    failures.Add(new Compilation.DocumentFailure(false, key, $"unknown document kind {(int)kind}"));
                    break;
            }
        }

        return SnapshotBuilder.ApplyDelta(previous, revision, upsertFlags, upsertSegments, removedFlags, removedSegments, failures);
    }

    private static bool TryParse(Document document, List<Compilation.DocumentFailure> failures, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FlagDocument? flag)
    {
        try
        {
            flag = FlagJson.ParseFlag(document.Json.Span);
            if (flag.Key != document.Key)
            {
                failures.Add(new Compilation.DocumentFailure(false, document.Key, $"the document's key is '{flag.Key}', the stream says '{document.Key}'"));
                flag = null;
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is FlagValidationException or JsonException)
        {
            failures.Add(new Compilation.DocumentFailure(false, document.Key, e.Message));
            flag = null;
            return false;
        }
    }

    private static bool TryParse(Document document, List<Compilation.DocumentFailure> failures, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SegmentDocument? segment)
    {
        try
        {
            segment = FlagJson.ParseSegment(document.Json.Span);
            if (segment.Key != document.Key)
            {
                failures.Add(new Compilation.DocumentFailure(true, document.Key, $"the document's key is '{segment.Key}', the stream says '{document.Key}'"));
                segment = null;
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is FlagValidationException or JsonException)
        {
            failures.Add(new Compilation.DocumentFailure(true, document.Key, e.Message));
            segment = null;
            return false;
        }
    }

    private void LoadCache()
    {
        if (_cache is null)
        {
            _cacheProblem = "the disk cache is off (no CacheDirectory)";
            return;
        }

        DiskSnapshotCacheLoad load = _cache.Load();
        if (!load.IsUsable)
        {
            _cacheProblem = load.Problem;
            Diagnostics.CacheProblem = load.Problem;
            if (load.IsCorrupt)
            {
                GrpcFlagSourceLog.CacheIgnored(_log, load.Problem!);
            }

            return;
        }

        try
        {
            var failures = new List<Compilation.DocumentFailure>();
            FlagSnapshot snapshot = SnapshotBuilder.BuildLenient(load.File!, load.Header!.Revision, null, failures);
            foreach (Compilation.DocumentFailure failure in failures)
            {
                GrpcFlagSourceLog.DocumentRejected(_log, failure.IsSegment ? "segment" : "flag", failure.Key, load.Header.Revision, failure.Reason);
            }

            lock (_gate)
            {
                _cachedSnapshot = snapshot;
                _cachedHeader = load.Header;
                // Resume from the cache: if the server still has the changes since, it sends only those.
                _held = snapshot;
                _resumeRevision = load.Header.Revision;
            }
        }
        catch (Exception e) when (e is FlagValidationException or JsonException or ArgumentException)
        {
            _cacheProblem = $"disk cache '{_cache.FilePath}' ignored: it does not compile ({e.Message})";
            Diagnostics.CacheProblem = _cacheProblem;
            GrpcFlagSourceLog.CacheIgnored(_log, _cacheProblem);
        }
    }

    private async Task ServeCacheAfterStartTimeoutAsync(ISnapshotSink sink, CancellationToken ct)
    {
        await Task.Delay(_options.StartTimeout, _time, ct).ConfigureAwait(false);
        string why;
        lock (_gate)
        {
            why = _lastError is null ? $"the server at {_serverUrl} has not delivered a snapshot within {_options.StartTimeout}" : $"the server at {_serverUrl} is unreachable ({_lastError})";
        }

        if (ServeCache(sink, why))
        {
            return;
        }

        FlagClientStatus status;
        string reason;
        lock (_gate)
        {
            if (_servedFromServer || _servingCache)
            {
                return;
            }

            status = _status ?? FlagClientStatus.Starting;
            reason = _status == FlagClientStatus.Failed ? StatusReasonOrEmpty() : $"{why}; nothing to serve ({_cacheProblem}); retrying";
        }

        SetStatus(sink, status, reason, force: true);
        _started.TrySetResult();
    }

    /// <summary>
    /// Serves the disk cache (status <c>Stale</c>, or <c>Failed</c> when the server refused this SDK) and completes the
    /// start, unless nothing usable is cached or something was already served (the cache, or a batch from the server).
    /// </summary>
    /// <param name="sink">The client.</param>
    /// <param name="why">Why the cache is served, for the status detail.</param>
    /// <returns>Whether the cache was served by this call.</returns>
    private bool ServeCache(ISnapshotSink sink, string why)
    {
        lock (_gate)
        {
            if (_servedFromServer || _servingCache || _cachedSnapshot is null)
            {
                return false;
            }

            string cache = $"serving the disk cache (revision {_cachedHeader!.Revision}, written {_cachedHeader.WrittenAt:u})";
            (FlagClientStatus status, string reason) = _status == FlagClientStatus.Failed
                ? (FlagClientStatus.Failed, $"{StatusReasonOrEmpty()} Meanwhile {cache}.")
                : (FlagClientStatus.Stale, $"{cache} because {why}; retrying");
            // Status first: the client treats a publish while Starting as Ready, and a cache is not Ready.
            SetStatus(sink, status, reason, force: true);
            _servingCache = true;
            sink.Publish(_cachedSnapshot);
            Diagnostics.ServedCache = true;
            GrpcFlagSourceLog.ServingCache(_log, _cachedHeader.Revision, _cache!.FilePath, why);
            _started.TrySetResult();
            return true;
        }
    }

    private void WriteCache(FlagSnapshot snapshot)
    {
        if (_cache is null)
        {
            return;
        }

        try
        {
            _cache.Write(snapshot.ToFile(), snapshot.Revision, snapshot.ContentHash);
            Diagnostics.CacheWrites++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            GrpcFlagSourceLog.CacheWriteFailed(_log, _cache.FilePath, e);
        }
    }

    private void SetStatus(ISnapshotSink sink, FlagClientStatus status, string? reason, bool force = false)
    {
        lock (_gate)
        {
            if (!force && _status == status && reason is null)
            {
                return;
            }

            _status = status;
            _statusReason = reason;
            sink.SetStatus(status, reason);
        }
    }

    private string StatusReasonOrEmpty() => _statusReason ?? "";

    private long HeldRevision()
    {
        lock (_gate)
        {
            return _held?.Revision ?? 0;
        }
    }

    private string ServingDescription()
    {
        lock (_gate)
        {
            if (_servedFromServer && _held is not null)
            {
                return $"Serving revision {_held.Revision} received earlier";
            }

            return _servingCache && _cachedHeader is not null
                ? $"Serving the disk cache (revision {_cachedHeader.Revision})"
                : "Nothing to serve yet (callers get their defaults)";
        }
    }

    private Hello BuildHello(long lastRevision)
    {
        var hello = new Hello
        {
            SdkName = SdkName,
            SdkVersion = SdkVersion,
            InstanceId = InstanceId,
            AppName = _options.AppName ?? "",
            AppVersion = _options.AppVersion ?? "",
            Environment = _options.Environment,
            LastRevision = lastRevision,
        };
        hello.ProtocolVersions.Add(ProtocolVersion);
        hello.SchemaVersions.Add(FlagFile.CurrentSchema);
        return hello;
    }

    private static readonly string SdkVersion = ReadSdkVersion();

    private static string ReadSdkVersion()
    {
        string? version = typeof(GrpcFlagSource).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version))
        {
            return typeof(GrpcFlagSource).Assembly.GetName().Version?.ToString() ?? "0.0.0";
        }

        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }

    private static Uri Validate(GrpcFlagSourceOptions options)
    {
        if (options.ServerUrl is null || !options.ServerUrl.IsAbsoluteUri || options.ServerUrl.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"GrpcFlagSourceOptions.ServerUrl must be an absolute http:// or https:// address; it is '{options.ServerUrl}'.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new ArgumentException("GrpcFlagSourceOptions.ApiKey is required: an SDK key for the environment.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.Environment))
        {
            throw new ArgumentException("GrpcFlagSourceOptions.Environment is required: the environment to follow.", nameof(options));
        }

        RequirePositive(options.StartTimeout, nameof(options.StartTimeout), allowZero: true);
        RequirePositive(options.ConnectTimeout, nameof(options.ConnectTimeout), allowZero: false);
        RequirePositive(options.ReconnectMinDelay, nameof(options.ReconnectMinDelay), allowZero: false);
        RequirePositive(options.FailedRetryDelay, nameof(options.FailedRetryDelay), allowZero: false);
        if (options.ReconnectMaxDelay < options.ReconnectMinDelay)
        {
            throw new ArgumentException($"GrpcFlagSourceOptions.ReconnectMaxDelay ({options.ReconnectMaxDelay}) must be at least ReconnectMinDelay ({options.ReconnectMinDelay}).", nameof(options));
        }

        return options.ServerUrl;

        static void RequirePositive(TimeSpan value, string name, bool allowZero)
        {
            if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
            {
                throw new ArgumentException($"GrpcFlagSourceOptions.{name} must be {(allowZero ? "zero or more" : "more than zero")}; it is {value}.", nameof(options));
            }
        }
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
