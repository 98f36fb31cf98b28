using System.Text.Json;
using FlagKit.Diagnostics;
using FlagKit.Documents;
using FlagKit.Evaluation;
using FlagKit.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlagKit;

/// <summary>
/// Evaluates feature flags for your code: <c>if (flags.IsEnabled("new-bonus-engine", context)) { ... }</c>. Takes
/// its flags from a <see cref="FlagSource"/> (a file, memory, or the flag server) and serves the latest snapshot.
/// </summary>
/// <remarks>
/// <para>
/// Thread safe; create one per process (or per environment) and share it. Every getter reads the current snapshot
/// once, so one call sees one revision; it takes no lock, never awaits and allocates nothing.
/// </para>
/// <para>
/// The getters never throw because of flags or context: a missing flag, a wrong type or any fault serves the
/// caller's default, and the <c>...Details</c> getters say why.
/// </para>
/// </remarks>
public sealed partial class FlagClient : ISnapshotSink, IAsyncDisposable, IDisposable
{
    private readonly FlagSource _source;
    private readonly FlagClientOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The snapshot every evaluation reads. Written only with Volatile.Write under _gate, read with Volatile.Read
    // and no lock (see Current).
    private FlagSnapshot _snapshot = FlagSnapshot.Empty;
    private int _status = (int)FlagClientStatus.Starting;
    private volatile string? _statusDetail;
    private readonly Lazy<Task> _start;
    private readonly FlagClientEventQueue _events;
    private int _disposed;

    /// <summary>Creates a client that serves what <paramref name="source"/> delivers. Call <see cref="StartAsync"/> next.</summary>
    /// <param name="source">Where flags come from; the client owns it from now on (starts and disposes it).</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public FlagClient(FlagSource source, FlagClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _options = options ?? new FlagClientOptions();
        _logger = (ILogger?)_options.LoggerFactory?.CreateLogger("FlagKit.FlagClient") ?? NullLogger.Instance;
        _start = new Lazy<Task>(StartSourceAsync, LazyThreadSafetyMode.ExecutionAndPublication);
        _events = new FlagClientEventQueue(_logger);
        _countExposures = _options.CountExposures;
        _telemetry = CreateTelemetry();
    }

    /// <summary>Raised after a new snapshot is swapped in, with the keys whose result could have changed.</summary>
    /// <remarks>
    /// Raised on a task of the client's own, after the swap, with no lock held: one event at a time, in revision order
    /// (and in order with <see cref="StatusChanged"/>). A slow handler delays only the events after it, never the
    /// sync with the server. A handler that throws is logged and ignored.
    /// </remarks>
    public event EventHandler<FlagsChangedEventArgs>? FlagsChanged;

    /// <summary>Raised when <see cref="Status"/> changes.</summary>
    /// <remarks>
    /// Raised on a task of the client's own, after the change, with no lock held: one event at a time, in order (and in
    /// order with <see cref="FlagsChanged"/>). <see cref="Status"/> already holds the new status when the event is
    /// raised. A handler that throws is logged and ignored.
    /// </remarks>
    public event EventHandler<FlagClientStatusChangedEventArgs>? StatusChanged;

    /// <summary>How current the served flags are.</summary>
    public FlagClientStatus Status => (FlagClientStatus)Volatile.Read(ref _status);

    /// <summary>
    /// Why the client has its <see cref="Status"/>: the reason the source gave with its last report (e.g. "connect
    /// refused, retrying in 800 ms"), updated also when the status stays the same; <see langword="null"/> when none
    /// was given. Read by health checks.
    /// </summary>
    public string? StatusDetail => _statusDetail;

    /// <summary>The snapshot evaluations read now (<see cref="FlagSnapshot.Empty"/> until the first one arrives).</summary>
    public FlagSnapshot Snapshot => Current;

    /// <summary>The current snapshot: the one volatile read of the hot path.</summary>
    internal FlagSnapshot Current
    {
        // A snapshot is immutable and fully built before Publish stores its reference with Volatile.Write (a release).
        // A reader that loads the reference with Volatile.Read (an acquire) therefore sees every field the builder
        // wrote, on every architecture .NET runs on. Each evaluation loads the reference once and then works only on
        // that object, so a swap in the middle of an evaluation cannot mix two revisions; it is seen by the next one.
        // No lock is needed: there is one writer at a time (under _gate) and readers never write.
        get => Volatile.Read(ref _snapshot);
    }

    /// <summary>
    /// Starts the source and waits for its first snapshot, for at most <see cref="FlagClientOptions.StartTimeout"/>.
    /// Calling it again returns the same start.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the source keeps starting in the background).</param>
    /// <returns>A task that completes when the source has delivered, given up, or the timeout has passed.</returns>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return WaitForStartAsync(_start.Value, cancellationToken);
    }

    /// <summary>Waits until the client serves a snapshot from its source (<see cref="FlagClientStatus.Ready"/>).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the client is first ready.</returns>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken = default) => _ready.Task.WaitAsync(cancellationToken);

    /// <summary>Evaluates a boolean flag.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="context">Who the flag is evaluated for; none when <see langword="null"/>.</param>
    /// <param name="defaultValue">Served when the flag is missing, not boolean, or cannot be evaluated.</param>
    /// <returns>The flag's value, or <paramref name="defaultValue"/>.</returns>
    /// <remarks>Never throws; allocates nothing.</remarks>
    public bool IsEnabled(string key, EvaluationContext? context = null, bool defaultValue = false)
    {
        var snapshot = Current;
        if (!snapshot.TryGetFlag(key, out var flag))
        {
            return defaultValue;
        }

        // The common case, decided when the flag was compiled: a boolean flag that is off, killed, or serves one value.
        var constant = flag.ConstantBool;
        if (constant >= 0)
        {
            CountExposure(flag, flag.ConstantVariant);
            return constant != 0;
        }

        if (flag.Kind != FlagKind.Bool)
        {
            return defaultValue;
        }

        var variant = snapshot.EvaluateVariant(flag, context);
        if (variant < 0)
        {
            return defaultValue;
        }

        CountExposure(flag, variant);
        return flag.Variants[variant].Bool;
    }

    /// <summary>Evaluates a string flag (or a version flag, as its version string).</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="context">Who the flag is evaluated for; none when <see langword="null"/>.</param>
    /// <param name="defaultValue">Served when the flag is missing, not a string, or cannot be evaluated.</param>
    /// <returns>The flag's value (a string shared by every caller), or <paramref name="defaultValue"/>.</returns>
    /// <remarks>Never throws; allocates nothing.</remarks>
    public string GetString(string key, EvaluationContext? context = null, string defaultValue = "")
    {
        var snapshot = Current;
        if (!snapshot.TryGetFlag(key, out var flag) || !IsString(flag.Kind))
        {
            return defaultValue;
        }

        var variant = snapshot.EvaluateVariant(flag, context);
        if (variant < 0)
        {
            return defaultValue;
        }

        CountExposure(flag, variant);
        return flag.Variants[variant].String!;
    }

    /// <summary>Evaluates a number flag.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="context">Who the flag is evaluated for; none when <see langword="null"/>.</param>
    /// <param name="defaultValue">Served when the flag is missing, not a number, or cannot be evaluated.</param>
    /// <returns>The flag's value, or <paramref name="defaultValue"/>.</returns>
    /// <remarks>Never throws; allocates nothing.</remarks>
    public double GetNumber(string key, EvaluationContext? context = null, double defaultValue = 0)
    {
        var snapshot = Current;
        if (!snapshot.TryGetFlag(key, out var flag) || flag.Kind != FlagKind.Number)
        {
            return defaultValue;
        }

        var variant = snapshot.EvaluateVariant(flag, context);
        if (variant < 0)
        {
            return defaultValue;
        }

        CountExposure(flag, variant);
        return flag.Variants[variant].Number;
    }

    /// <summary>Evaluates a flag as JSON: a JSON flag's value, or any other flag's value in its JSON form.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="context">Who the flag is evaluated for; none when <see langword="null"/>.</param>
    /// <param name="defaultValue">Served when the flag is missing or cannot be evaluated.</param>
    /// <returns>The value, parsed once when the snapshot was built (not re-parsed), or <paramref name="defaultValue"/>.</returns>
    /// <remarks>Never throws; allocates nothing.</remarks>
    public JsonElement GetJson(string key, EvaluationContext? context = null, JsonElement defaultValue = default)
    {
        var evaluation = Current.Evaluate(key, context);
        if (evaluation.VariantIndex < 0)
        {
            return defaultValue;
        }

        CountExposure(evaluation.Flag!, evaluation.VariantIndex);
        return evaluation.Flag!.Variants[evaluation.VariantIndex].Json;
    }

    /// <summary>Evaluates a boolean flag, with the details that explain the result.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="context">Who the flag is evaluated for; none when <see langword="null"/>.</param>
    /// <param name="defaultValue">Served when the flag is missing, not boolean, or cannot be evaluated.</param>
    /// <returns>Value, variant, reason, error code, rule, flag version and revision.</returns>
    /// <remarks>Never throws; allocates nothing.</remarks>
    public EvaluationDetails<bool> GetBoolDetails(string key, EvaluationContext? context = null, bool defaultValue = false)
    {
        var evaluation = Current.Evaluate(key, context);
        if (evaluation.Flag is { } flag && flag.Kind != FlagKind.Bool && flag.Failure is null)
        {
            return Mismatch(evaluation, defaultValue);
        }

        CountExposure(evaluation);
        return evaluation.VariantIndex >= 0
            ? Details(evaluation, evaluation.Flag!.Variants[evaluation.VariantIndex].Bool)
            : Details(evaluation, defaultValue);
    }

    /// <summary>Evaluates a string flag (or a version flag, as its version string), with the details that explain the result.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="context">Who the flag is evaluated for; none when <see langword="null"/>.</param>
    /// <param name="defaultValue">Served when the flag is missing, not a string, or cannot be evaluated.</param>
    /// <returns>Value, variant, reason, error code, rule, flag version and revision.</returns>
    /// <remarks>Never throws; allocates nothing.</remarks>
    public EvaluationDetails<string> GetStringDetails(string key, EvaluationContext? context = null, string defaultValue = "")
    {
        var evaluation = Current.Evaluate(key, context);
        if (evaluation.Flag is { } flag && !IsString(flag.Kind) && flag.Failure is null)
        {
            return Mismatch(evaluation, defaultValue);
        }

        CountExposure(evaluation);
        return evaluation.VariantIndex >= 0
            ? Details(evaluation, evaluation.Flag!.Variants[evaluation.VariantIndex].String!)
            : Details(evaluation, defaultValue);
    }

    /// <summary>Evaluates a number flag, with the details that explain the result.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="context">Who the flag is evaluated for; none when <see langword="null"/>.</param>
    /// <param name="defaultValue">Served when the flag is missing, not a number, or cannot be evaluated.</param>
    /// <returns>Value, variant, reason, error code, rule, flag version and revision.</returns>
    /// <remarks>Never throws; allocates nothing.</remarks>
    public EvaluationDetails<double> GetNumberDetails(string key, EvaluationContext? context = null, double defaultValue = 0)
    {
        var evaluation = Current.Evaluate(key, context);
        if (evaluation.Flag is { } flag && flag.Kind != FlagKind.Number && flag.Failure is null)
        {
            return Mismatch(evaluation, defaultValue);
        }

        CountExposure(evaluation);
        return evaluation.VariantIndex >= 0
            ? Details(evaluation, evaluation.Flag!.Variants[evaluation.VariantIndex].Number)
            : Details(evaluation, defaultValue);
    }

    /// <summary>Evaluates a flag as JSON, with the details that explain the result.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="context">Who the flag is evaluated for; none when <see langword="null"/>.</param>
    /// <param name="defaultValue">Served when the flag is missing or cannot be evaluated.</param>
    /// <returns>Value, variant, reason, error code, rule, flag version and revision.</returns>
    /// <remarks>Never throws; allocates nothing. Every kind of flag has a JSON form, so there is no type mismatch.</remarks>
    public EvaluationDetails<JsonElement> GetJsonDetails(string key, EvaluationContext? context = null, JsonElement defaultValue = default)
    {
        var evaluation = Current.Evaluate(key, context);
        CountExposure(evaluation);
        return evaluation.VariantIndex >= 0
            ? Details(evaluation, evaluation.Flag!.Variants[evaluation.VariantIndex].Json)
            : Details(evaluation, defaultValue);
    }

    /// <summary>Stops and disposes the source. Evaluations keep serving the last snapshot.</summary>
    /// <returns>A task that completes when the source has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        DisposeModeTimer();
        _telemetry.Dispose();
        await _source.DisposeAsync().ConfigureAwait(false);
        // Events already queued are still raised; disposing does not wait for a slow handler.
        _events.Complete();
    }

    /// <summary>
    /// Stops and disposes the source synchronously (for a container disposed with <c>Dispose()</c>): blocks until the
    /// source has stopped. Prefer <see cref="DisposeAsync"/> where you can await.
    /// </summary>
    public void Dispose()
    {
        var pending = DisposeAsync();
        if (!pending.IsCompletedSuccessfully)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }

    FlagSnapshot ISnapshotSink.Current => Current;

    void ISnapshotSink.Publish(FlagSnapshot next)
    {
        ArgumentNullException.ThrowIfNull(next);
        FlagsChangedEventArgs changes;
        lock (_gate)
        {
            var previous = _snapshot;
            Volatile.Write(ref _snapshot, next);
            changes = new FlagsChangedEventArgs(SnapshotDiff.ChangedKeys(previous, next), next.Revision, previous.Revision);
            FlagClientLog.SnapshotSwapped(_logger, next.Revision, previous.Revision, next.FlagCount, changes.Keys.Count);
            if (Status == FlagClientStatus.Starting)
            {
                // A snapshot from the source is something to serve: the client is ready.
                ChangeStatus(FlagClientStatus.Ready, null);
            }

            if (changes.Keys.Count != 0)
            {
                _events.Post(FlagsChanged, this, changes, nameof(FlagsChanged));
            }
        }
    }

    void ISnapshotSink.SetStatus(FlagClientStatus status, string? detail)
    {
        lock (_gate)
        {
            ChangeStatus(status, detail);
        }
    }

    private static bool IsString(FlagKind kind) => kind is FlagKind.String or FlagKind.Version;

    private static EvaluationDetails<T> Details<T>(in FlagEvaluation evaluation, T value) =>
        new(value, evaluation.Variant?.Name, evaluation.Reason, evaluation.ErrorCode, evaluation.RuleId, evaluation.FlagVersion, evaluation.Revision);

    private static EvaluationDetails<T> Mismatch<T>(in FlagEvaluation evaluation, T defaultValue) =>
        new(defaultValue, null, EvaluationReason.TypeMismatch, EvaluationErrorCode.TypeMismatch, null, evaluation.FlagVersion, evaluation.Revision);

    private void ChangeStatus(FlagClientStatus status, string? detail)
    {
        _statusDetail = detail;
        var previous = (FlagClientStatus)Interlocked.Exchange(ref _status, (int)status);
        if (status == FlagClientStatus.Ready)
        {
            _ready.TrySetResult();
        }

        if (previous != status)
        {
            FlagClientLog.StatusChanged(_logger, status, previous, detail);
            _events.Post(StatusChanged, this, new FlagClientStatusChangedEventArgs(status, previous, detail), nameof(StatusChanged));
        }
    }

    private async Task StartSourceAsync()
    {
        try
        {
            await _source.StartAsync(new FlagSnapshotSink(this), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            FlagClientLog.StartFailed(_logger, ex);
            ((ISnapshotSink)this).SetStatus(FlagClientStatus.Failed, ex.Message);
            throw;
        }
    }

    private async Task WaitForStartAsync(Task start, CancellationToken cancellationToken)
    {
        try
        {
            await start.WaitAsync(_options.StartTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            FlagClientLog.StartTimedOut(_logger, _options.StartTimeout);
        }
    }
}
