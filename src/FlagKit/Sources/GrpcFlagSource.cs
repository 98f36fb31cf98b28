using FlagKit.Sources.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
/// <para>
/// Code layout: this file holds the life cycle and the reconnect loop; <c>GrpcFlagSource.Session.cs</c> one stream's
/// state machine and the publishing of a batch; <c>GrpcFlagSource.Cache.cs</c> the disk cache at start and after
/// each batch; <c>GrpcFlagSource.Status.cs</c> what is reported to the client. <see cref="GrpcSyncChannel"/> owns the
/// gRPC channel, <see cref="GrpcSyncBatchCompiler"/> compiles a batch, <see cref="GrpcHello"/> builds the Hello and
/// <see cref="GrpcFlagSourceOptionsValidator"/> checks the options.
/// </para>
/// </remarks>
public sealed partial class GrpcFlagSource : FlagSource
{
    /// <summary>The name this SDK gives in <c>Hello.sdk_name</c>.</summary>
    internal const string SdkName = "flagkit-dotnet";

    private static readonly string ProcessInstance = Guid.NewGuid().ToString("N")[..12];
    private static int s_instanceCounter;

    private readonly GrpcFlagSourceOptions _options;
    private Uri _serverUrl;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly GrpcSyncChannel _channel;
    private readonly GrpcReconnectBackoff _backoff;
    private readonly DiskSnapshotCache? _cache;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FlagSnapshotSink? _sink;
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
        _serverUrl = GrpcFlagSourceOptionsValidator.Validate(options);
        _servers = new GrpcServerRotation(GrpcFlagSourceOptionsValidator.Addresses(options));
        _serverUrl = _servers.Current;
        _time = timeProvider ?? TimeProvider.System;
        _log = (ILogger?)loggerFactory?.CreateLogger<GrpcFlagSource>() ?? NullLogger.Instance;
        InstanceId = $"{ProcessInstance}-{Interlocked.Increment(ref s_instanceCounter)}";
        _backoff = new GrpcReconnectBackoff(options.ReconnectMinDelay, options.ReconnectMaxDelay, _time);
        if (!string.IsNullOrWhiteSpace(options.CacheDirectory))
        {
            string path = DiskSnapshotCache.PathFor(options.CacheDirectory, options.Environment, _servers.Identity);
            _cache = new DiskSnapshotCache(path, options.Environment, _servers.Identity, _time);
        }

        _channel = new GrpcSyncChannel(options, _serverUrl, _log, Diagnostics);
    }

    /// <summary>This source's instance id as the server lists it (<c>Hello.instance_id</c>): unique per process and source.</summary>
    public string InstanceId { get; }

    /// <summary>The disk cache file, or <see langword="null"/> when caching is off.</summary>
    public string? CacheFilePath => _cache?.FilePath;

    /// <summary>Counters and the last batch, for tests and diagnostics.</summary>
    internal GrpcSyncDiagnostics Diagnostics { get; } = new();

    /// <summary>The options this source was created with (what the DI registration passed in).</summary>
    internal GrpcFlagSourceOptions Options => _options;

    /// <summary>
    /// Opens the stream in the background. The returned task completes when there is something to serve or nothing
    /// more to wait for: the first batch from the server is applied, the disk cache is served (at once with
    /// <see cref="GrpcFlagSourceOptions.ServeCacheWhileConnecting"/>, when the first attempt fails, or at the start
    /// timeout), the start timeout passed with nothing to serve, or the server refused this SDK. It never faults;
    /// failures show in the status.
    /// </summary>
    public override Task StartAsync(FlagSnapshotSink sink, CancellationToken ct)
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

        await FlushCacheAsync().ConfigureAwait(false);
        _started.TrySetResult();
        _channel.Dispose();
        _lifetime.Dispose();
    }

    private async Task RunAsync(FlagSnapshotSink sink, CancellationToken ct)
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
                if (!MoveToNextServer(outcome))
                {
                    _channel.Renew(outcome);
                }

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

    private TimeSpan OnSessionEnded(FlagSnapshotSink sink, GrpcSessionOutcome outcome)
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

}
