using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Replication;
using FlagKit.Server.Scheduling;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Releases;

/// <summary>
/// Runs guarded releases on the server. Each running release is evaluated every <see cref="ReleasePlan.Interval"/> (a
/// <see cref="TimeProvider"/> timer): the flag's reports are taken from the <see cref="ReleaseReportInbox"/>,
/// <see cref="ReleaseEngine.Evaluate"/> decides, the new state is stored, and the action is carried out as an ordinary
/// write through <see cref="EnvironmentCatalog.WriteAsync"/> (history and audit; author <c>release:&lt;id&gt;</c>, comment
/// the figures). Operators start, pause, resume, promote and abort releases through it.
/// </summary>
/// <remarks>
/// <para>A human always wins: any committed write to the flag not authored by the release pauses it
/// (<see cref="PauseReason.FlagChanged"/>). The commit observer marks the release under the environment's commit gate,
/// and every write of the release re-checks the mark in its plan (which runs again whenever the revision moved), so a
/// release never commits over a human's change it had not seen.</para>
/// <para>Restart: active releases are loaded from the store at start; a running one resumes its step's clock where it
/// stopped (<see cref="ReleaseEngine.AfterRestart"/>).</para>
/// <para>Thread safety: all members are safe to call concurrently; one release's evaluations and commands take turns.</para>
/// </remarks>
internal sealed class ReleaseRunner : IHostedService, IDisposable
{
    private const int EventsShown = 50;

    /// <summary>The lease whose holder drives every release (PostgreSQL: one replica at a time).</summary>
    internal const string LeaseName = "release-runner";

    /// <summary>How long the lease lasts without a renewal (renewed, and the store re-read, every third of it).</summary>
    internal static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(30);

    private readonly EnvironmentCatalog _catalog;
    private readonly IReleaseStore _store;
    private readonly ReleaseReportInbox _inbox;
    private readonly IReleaseNotifier[] _notifiers;
    private readonly FreezeCalendar _freezes;
    private readonly LeaseRunner _leases;
    private readonly bool _leased;
    private volatile bool _leading;
    private Task _leaseLoop = Task.CompletedTask;
    private readonly TimeProvider _time;
    private readonly ILogger<ReleaseRunner> _logger;
    private readonly ReleaseEngine _engine;
    private readonly ConcurrentDictionary<long, ActiveRelease> _active = new();
    private readonly ConcurrentDictionary<(string Environment, string Flag), ActiveRelease> _byFlag = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Creates the runner (idle until <see cref="StartAsync"/>).</summary>
    /// <param name="catalog">Environments and the write pipeline.</param>
    /// <param name="store">Where releases are kept.</param>
    /// <param name="inbox">Where SDK reports wait.</param>
    /// <param name="notifiers">Told of steps, pauses, rollbacks and completions.</param>
    /// <param name="freezes">The freeze windows: a due step waits while its environment is frozen.</param>
    /// <param name="leases">On PostgreSQL, only the holder of <see cref="LeaseName"/> drives releases.</param>
    /// <param name="time">The clock (intervals, holds).</param>
    /// <param name="metrics">Its releases gauge reads this runner's active releases by state.</param>
    /// <param name="logger">Logger.</param>
    public ReleaseRunner(
        EnvironmentCatalog catalog, IReleaseStore store, ReleaseReportInbox inbox, IEnumerable<IReleaseNotifier> notifiers, FreezeCalendar freezes, LeaseRunner leases, TimeProvider time, ServerMetrics metrics, ILogger<ReleaseRunner> logger)
    {
        _catalog = catalog;
        _store = store;
        _inbox = inbox;
        _notifiers = notifiers.ToArray();
        _freezes = freezes;
        _leases = leases;
        _leased = store is Store.Postgres.PostgresFlagStore; // one SQLite server drives its releases itself
        _leading = !_leased;
        _time = time;
        _logger = logger;
        _engine = new ReleaseEngine(time);
        metrics.ObserveReleases(CountByState);
    }

    /// <summary>
    /// The releases gauge: the active releases this server drives, per environment and state (<c>running</c>,
    /// <c>paused</c>; every environment's zeros included, so a series falls to 0 rather than vanishing). Ended releases are in the store's
    /// history, not in the gauge.
    /// A replica that does not drive the releases reports zeros, so a sum over replicas counts each release once.
    /// </summary>
    /// <returns>One measurement per environment and active state.</returns>
    internal IEnumerable<Measurement<int>> CountByState()
    {
        var counts = new Dictionary<(string Environment, ReleaseStatus Status), int>();
        foreach (var environment in _catalog.All)
        {
            counts[(environment.Name, ReleaseStatus.Running)] = 0;
            counts[(environment.Name, ReleaseStatus.Paused)] = 0;
        }

        foreach (var release in _leading ? _active.Values : [])
        {
            var state = release.State;
            if (state.IsActive)
            {
                counts[(release.Environment, state.Status)] = counts.GetValueOrDefault((release.Environment, state.Status)) + 1;
            }
        }

        return counts.Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>(ServerMetrics.EnvironmentTag, c.Key.Environment),
            new KeyValuePair<string, object?>(ServerMetrics.ReleaseStateTag, ReleaseStateJson.Status(c.Key.Status))));
    }

    /// <summary>Loads the active releases from the store and starts the running ones' timers.</summary>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>Completed.</returns>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _catalog.Committed += OnCommitted;
        var environments = _catalog.All.ToDictionary(e => e.Record.Id, e => e.Name);
        var count = 0;
        foreach (var stored in _store.LoadActiveReleases())
        {
            ReleaseState state;
            try
            {
                state = _engine.AfterRestart(ReleaseStateJson.Read(stored.StateJson), stored.UpdatedAt);
            }
            catch (System.Text.Json.JsonException e)
            {
                ReleaseLog.Unreadable(_logger, stored.Id, e);
                continue;
            }

            if (!environments.TryGetValue(stored.EnvironmentId, out var environment))
            {
                continue;
            }

            var release = new ActiveRelease(stored.Id, environment, stored.CreatedBy, stored.CreatedAt, state);
            Register(release);
            count++;
        }

        if (count > 0)
        {
            ReleaseLog.Resumed(_logger, count);
        }

        if (_leased)
        {
            _leaseLoop = _leases.RunAsync(LeaseName, LeaseTtl, LeadAsync, _stopping.Token);
        }

        return Task.CompletedTask;
    }

    /// <summary>Whether this server drives the releases now (always on SQLite; on PostgreSQL while it holds <see cref="LeaseName"/>).</summary>
    internal bool IsDriving => _leading;

    /// <summary>
    /// While this replica holds the lease: it drives the releases, and every third of the lease's life re-reads the
    /// active releases from the store, taking up those started elsewhere, the state other replicas' operator commands
    /// stored, and forgetting those that ended elsewhere.
    /// </summary>
    private async Task LeadAsync(LeaseGrant grant, CancellationToken cancellationToken)
    {
        _leading = true;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await SyncWithStoreAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(LeaseTtl / 3, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The lease was lost or the server stops.
        }
        finally
        {
            _leading = false;
        }
    }

    private async Task SyncWithStoreAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<StoredRelease> stored;
        try
        {
            stored = _store.LoadActiveReleases().ToList();
        }
        catch (System.Data.Common.DbException e)
        {
            ReleaseLog.Failed(_logger, 0, "", "", "re-reading the active releases", e);
            return;
        }

        var environments = _catalog.All.ToDictionary(e => e.Record.Id, e => e.Name);
        foreach (var row in stored)
        {
            if (_active.TryGetValue(row.Id, out var known))
            {
                await RefreshAsync(known, cancellationToken).ConfigureAwait(false);
            }
            else if (environments.TryGetValue(row.EnvironmentId, out var environment))
            {
                try
                {
                    Register(new ActiveRelease(row.Id, environment, row.CreatedBy, row.CreatedAt, _engine.AfterRestart(ReleaseStateJson.Read(row.StateJson), row.UpdatedAt)));
                }
                catch (System.Text.Json.JsonException e)
                {
                    ReleaseLog.Unreadable(_logger, row.Id, e);
                }
            }
        }

        var live = stored.Select(r => r.Id).ToHashSet();
        foreach (var release in _active.Values.Where(r => !live.Contains(r.Id)))
        {
            await release.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!release.Unsaved && release.State.IsActive)
                {
                    Forget(release); // ended on another replica
                }
            }
            finally
            {
                release.Gate.Release();
            }
        }
    }

    /// <summary>
    /// Takes the stored state when another replica stored a newer one (this one stores every state it makes). The row is
    /// read under the release's gate: a row read before an evaluation that then saved would be older than the memory.
    /// </summary>
    private async Task RefreshAsync(ActiveRelease release, CancellationToken cancellationToken)
    {
        await release.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var storedJson = release.Unsaved ? null : _store.GetRelease(release.Id)?.StateJson;
            if (storedJson is null || storedJson == ReleaseStateJson.Write(release.State))
            {
                return;
            }

            release.State = ReleaseStateJson.Read(storedJson);
            if (release.State.Status == ReleaseStatus.Running)
            {
                Schedule(release);
            }
            else
            {
                Unschedule(release);
            }
        }
        catch (System.Text.Json.JsonException e)
        {
            ReleaseLog.Unreadable(_logger, release.Id, e);
        }
        catch (System.Data.Common.DbException e)
        {
            ReleaseLog.Failed(_logger, release.Id, release.Environment, release.Flag, "re-reading its state", e);
        }
        finally
        {
            release.Gate.Release();
        }
    }

    /// <summary>Stops the timers and waits for evaluations in progress.</summary>
    /// <param name="cancellationToken">Gives up waiting.</param>
    /// <returns>Completes when stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _catalog.Committed -= OnCommitted;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _leaseLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped waiting; the lease expires by itself.
        }
        foreach (var release in _active.Values)
        {
            release.Timer?.Dispose();
            try
            {
                await release.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                release.Gate.Release();
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var release in _active.Values)
        {
            release.Timer?.Dispose();
        }

        _stopping.Dispose();
    }

    // ---- operator commands ----------------------------------------------------------------------------------

    /// <summary>
    /// Starts a release: checks the plan and the flag, stores the release (one active per flag per environment) and
    /// serves the treatment at the first step.
    /// </summary>
    /// <param name="environment">The environment.</param>
    /// <param name="plan">The plan.</param>
    /// <param name="actor">Who starts it.</param>
    /// <param name="comment">Why (may be empty).</param>
    /// <param name="cancellationToken">Cancels the first write.</param>
    /// <returns>The running release.</returns>
    /// <exception cref="WriteRefusedException">Invalid (plan or flag), NotFound (environment), AlreadyExists (an active release of the flag).</exception>
    public async Task<ReleaseSnapshot> StartReleaseAsync(string environment, ReleasePlan plan, string actor, string comment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var env = _catalog.Get(environment);
        var problems = plan.Validate().ToList();
        if (problems.Count == 0 && ReleaseEdits.StartProblem(env, plan) is { } problem)
        {
            problems.Add(problem);
        }

        if (problems.Count > 0)
        {
            throw WriteRefusedException.Invalid("The release cannot start: " + string.Join(" ", problems));
        }

        var state = _engine.Start(plan);
        var now = _time.GetUtcNow();
        StoredRelease stored;
        try
        {
            stored = _store.CreateRelease(
                new StoredRelease(0, env.Record.Id, plan.Flag, ReleaseStateJson.Status(state.Status), true, ReleaseStateJson.Write(state), actor, now, now),
                new ReleaseEventRecord(now, "started", actor, plan.Steps[0], Describe(plan) + Why(comment)));
        }
        catch (ReleaseAlreadyActiveException e)
        {
            throw new WriteRefusedException(WriteRefusal.AlreadyExists, e.Message);
        }

        var release = new ActiveRelease(stored.Id, env.Name, actor, now, state);
        await release.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _active[release.Id] = release;
            _byFlag[(release.Environment, release.Flag)] = release;
            try
            {
                await WriteShareAsync(release, plan.Steps[0], $"release {release.Id} started by {actor}: {Describe(plan)}{Why(comment)}", urgent: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WriteRefusedException or OperationCanceledException)
            {
                // Nothing served yet: the release ends here, and says why.
                var ended = _engine.Abort(state, $"{actor} (the first write failed: {e.Message})");
                Save(release, ended.State, new ReleaseEventRecord(now, "aborted", actor, 0, ended.Summary));
                Forget(release);
                throw;
            }

            Schedule(release);
        }
        finally
        {
            release.Gate.Release();
        }

        return Snapshot(release);
    }

    /// <summary>Pauses a running release (the step's share is kept).</summary>
    /// <exception cref="WriteRefusedException">NotFound, or Conflict when it is not running.</exception>
    public Task<ReleaseSnapshot> PauseReleaseAsync(string environment, long id, string flag, string actor, string comment, CancellationToken cancellationToken) =>
        CommandAsync(environment, id, flag, cancellationToken, release =>
            Required(_engine.Interrupt(release.State, PauseReason.Operator, $"paused by {actor}{Why(comment)}"), release, "paused", "running"), actor, "paused", writeShare: false);

    /// <summary>Resumes a paused release on its step: the flag is set back to the step's share, and the hold starts again.</summary>
    /// <exception cref="WriteRefusedException">NotFound, or Conflict when it is not paused.</exception>
    public Task<ReleaseSnapshot> ResumeReleaseAsync(string environment, long id, string flag, string actor, string comment, CancellationToken cancellationToken) =>
        CommandAsync(environment, id, flag, cancellationToken, release =>
            Required(_engine.Resume(release.State, actor + Why(comment)), release, "resumed", "paused"), actor, "resumed", writeShare: true);

    /// <summary>Moves a running or paused release to its next step now (completing it at 100 %).</summary>
    /// <exception cref="WriteRefusedException">NotFound, or Conflict when it has ended.</exception>
    public Task<ReleaseSnapshot> PromoteReleaseAsync(string environment, long id, string flag, string actor, string comment, CancellationToken cancellationToken) =>
        CommandAsync(environment, id, flag, cancellationToken, release =>
            Required(_engine.Promote(NotFrozen(release), actor + Why(comment)), release, "promoted", "running or paused"), actor, "promoted", writeShare: true);

    /// <summary>Stops a running or paused release and serves its treatment to 0 %.</summary>
    /// <exception cref="WriteRefusedException">NotFound, or Conflict when it has ended.</exception>
    public Task<ReleaseSnapshot> AbortReleaseAsync(string environment, long id, string flag, string actor, string comment, CancellationToken cancellationToken) =>
        CommandAsync(environment, id, flag, cancellationToken, release =>
            Required(_engine.Abort(release.State, actor + Why(comment)), release, "aborted", "running or paused"), actor, "aborted", writeShare: true);

    /// <summary>One release, by id or by flag (the flag's newest release).</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="id">The id, or 0 to name the flag.</param>
    /// <param name="flag">The flag, when <paramref name="id"/> is 0.</param>
    /// <returns>The release.</returns>
    /// <exception cref="WriteRefusedException">NotFound.</exception>
    public ReleaseSnapshot GetRelease(string environment, long id, string flag)
    {
        var env = _catalog.Get(environment);
        if (Find(env, id, flag) is { } active)
        {
            return Snapshot(active);
        }

        var stored = id > 0 ? _store.GetRelease(id) : _store.ListReleases(env.Record.Id, flag, 1).FirstOrDefault();
        return stored is not null && stored.EnvironmentId == env.Record.Id
            ? Snapshot(stored, env.Name)
            : throw WriteRefusedException.NotFound(id > 0
                ? $"Release {id} does not exist in environment '{env.Name}'."
                : $"Flag '{flag}' has no release in environment '{env.Name}'.");
    }

    /// <summary>An environment's releases, newest first.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="flag">One flag's, or empty for all.</param>
    /// <param name="activeOnly">Only running and paused ones.</param>
    /// <param name="limit">At most this many.</param>
    /// <returns>The releases.</returns>
    public IReadOnlyList<ReleaseSnapshot> ListReleases(string environment, string flag, bool activeOnly, int limit)
    {
        var env = _catalog.Get(environment);
        return _store.ListReleases(env.Record.Id, string.IsNullOrEmpty(flag) ? null : flag, limit)
            .Where(r => !activeOnly || r.Active)
            .Select(r => _active.TryGetValue(r.Id, out var active) ? Snapshot(active) : Snapshot(r, env.Name))
            .ToList();
    }

    /// <summary>Evaluates one release now, as its timer does (tests drive this with a fake clock).</summary>
    /// <param name="id">The release.</param>
    /// <returns>Completes when evaluated (at once when it is not running, or when another tick already waits).</returns>
    /// <remarks>
    /// A tick that finds the release busy (a command, or the previous evaluation still telling its notifiers) waits for
    /// it rather than being lost; ticks never pile up: while one waits, the next ones are dropped (the reports wait in the inbox).
    /// </remarks>
    public async Task EvaluateAsync(long id)
    {
        if (!_active.TryGetValue(id, out var release) || Interlocked.Exchange(ref release.TickWaiting, 1) == 1)
        {
            return;
        }

        try
        {
            await release.Gate.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        finally
        {
            Volatile.Write(ref release.TickWaiting, 0);
        }

        try
        {
            if (!_leading)
            {
                // Another replica drives the releases: this replica's own box is emptied, and the relayed batches
                // (docs/scale-out.md) are left for the one that judges, even if it took the lease a moment ago.
                _inbox.Discard(release.Environment, release.Flag);
                return;
            }

            if (release.Unsaved && release.State.Status != ReleaseStatus.Running)
            {
                Save(release, release.State, null);
                if (!release.Unsaved)
                {
                    Unschedule(release);
                    if (!release.State.IsActive)
                    {
                        Forget(release);
                    }
                }

                return;
            }

            if (release.State.Status != ReleaseStatus.Running || _stopping.IsCancellationRequested)
            {
                return;
            }

            var decision = _engine.Evaluate(release.State, _inbox.Take(release.Environment, release.Flag), Freeze(release.Environment));
            await CarryOutAsync(release, decision, release.Author, EventKind(decision), writeShare: false, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ReleaseLog.Failed(_logger, release.Id, release.Environment, release.Flag, "evaluation", e);
        }
        finally
        {
            release.Gate.Release();
        }
    }

    // ---- carrying out -----------------------------------------------------------------------------------------

    private async Task<ReleaseSnapshot> CommandAsync(
        string environment, long id, string flag, CancellationToken cancellationToken, Func<ActiveRelease, ReleaseDecision> decide, string actor, string kind, bool writeShare)
    {
        var env = _catalog.Get(environment);
        var release = Find(env, id, flag) ?? throw Ended(env, id, flag);
        await release.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_active.ContainsKey(release.Id))
            {
                throw Ended(env, release.Id, "");
            }

            var decision = decide(release);
            release.ChangedBy = null; // an operator's command is the human's say: it goes through
            await CarryOutAsync(release, decision, actor, kind, writeShare, cancellationToken).ConfigureAwait(false);
            return Snapshot(release);
        }
        finally
        {
            release.Gate.Release();
        }
    }

    private static ReleaseDecision Required(ReleaseDecision decision, ActiveRelease release, string verb, string needed) =>
        decision.Action == ReleaseAction.None
            ? throw WriteRefusedException.Conflict($"Release {release.Id} is {ReleaseStateJson.Status(release.State.Status)}; only a {needed} release can be {verb}.")
            : decision;

    /// <summary>Under the release's gate: the decision's write (if any), then the stored state and event, then the notifiers.</summary>
    private async Task CarryOutAsync(ActiveRelease release, ReleaseDecision decision, string actor, string? kind, bool writeShare, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(release, decision, writeShare, cancellationToken).ConfigureAwait(false);
            if (decision.Action == ReleaseAction.Advance || (decision.Action == ReleaseAction.Hold && writeShare))
            {
                // The step begins when its split is committed: figures measured before that were served the old split.
                decision = decision with { State = decision.State with { StepStartedAt = _time.GetUtcNow() } };
            }
        }
        catch (WriteRefusedException e)
        {
            var who = release.ChangedBy;
            decision = who is not null
                ? _engine.Interrupt(release.State, PauseReason.FlagChanged, $"flag changed by {who}")
                : _engine.Interrupt(release.State, PauseReason.WriteFailed, $"could not write the flag ({e.Message})");
            (actor, kind) = (release.Author, decision.Action == ReleaseAction.None ? null : "paused");
            if (decision.Action == ReleaseAction.None)
            {
                throw;
            }
        }

        var now = _time.GetUtcNow();
        Save(release, decision.State, kind is null ? null : new ReleaseEventRecord(now, kind, actor, decision.State.TreatmentPercent, decision.Summary));
        if (decision.State.Status == ReleaseStatus.Running)
        {
            Schedule(release);
        }
        else
        {
            Unschedule(release);
            if (release.Unsaved)
            {
                Schedule(release, watch: false); // to retry the save
            }
            else if (!decision.State.IsActive)
            {
                Forget(release);
            }
        }

        await NotifyAsync(release, decision, now).ConfigureAwait(false);
    }

    private Task WriteAsync(ActiveRelease release, ReleaseDecision decision, bool writeShare, CancellationToken cancellationToken)
    {
        var state = decision.State;
        return decision.Action switch
        {
            ReleaseAction.Advance or ReleaseAction.Complete => WriteShareAsync(release, state.TreatmentPercent, decision.Summary, urgent: false, cancellationToken),
            ReleaseAction.RollBack when state.Status == ReleaseStatus.RolledBack && state.Plan.Rollback == RollbackAction.Kill => KillAsync(release, decision.Summary),
            ReleaseAction.RollBack => WriteShareAsync(release, 0, decision.Summary, urgent: true, CancellationToken.None, breakGlass: true),
            ReleaseAction.Hold when writeShare => WriteShareAsync(release, state.TreatmentPercent, decision.Summary, urgent: false, cancellationToken),
            _ => Task.CompletedTask,
        };
    }

    private Task WriteShareAsync(ActiveRelease release, int percent, string comment, bool urgent, CancellationToken cancellationToken, bool breakGlass = false)
    {
        var plan = release.State.Plan;
        var request = new SetRolloutRequest { Environment = release.Environment, Key = plan.Flag, Options = Options(release, comment, breakGlass) };
        request.Weights.Add(new VariantWeight { Variant = plan.Treatment, Weight = percent });
        request.Weights.Add(new VariantWeight { Variant = plan.Control, Weight = 100 - percent });
        var command = new WriteCommand(release.Environment, request.Options, Caller(release), nameof(FlagAdmin.FlagAdminClient.SetRollout), plan.Flag, request,
            Operation: $"release {release.Id}: {plan.Treatment} {percent} %, {plan.Control} {100 - percent} %", Urgent: urgent, BreakGlass: breakGlass);
        return _catalog.WriteAsync(command, env => ReleaseEdits.Share(Unchanged(release, env), plan, percent), cancellationToken);
    }

    private Task KillAsync(ActiveRelease release, string comment)
    {
        var request = new SetFlagStateRequest
        {
            Environment = release.Environment, Key = release.Flag, Change = FlagStateChange.Kill, Options = Options(release, comment, breakGlass: true),
        };
        var command = new WriteCommand(release.Environment, request.Options, Caller(release), nameof(FlagAdmin.FlagAdminClient.SetFlagState), release.Flag, request,
            Operation: $"release {release.Id}: killed", Urgent: true);
        return _catalog.WriteAsync(command, env => FlagEdits.SetState(Unchanged(release, env), request, release.Author, _time.GetUtcNow()), CancellationToken.None);
    }

    /// <summary>
    /// A write's options. A rollback (or kill) is break-glass: it carries a freeze override whose reason is the release
    /// and its figures, so it goes through a freeze, recorded as such in history and audit (the override only counts
    /// when a freeze is in force).
    /// </summary>
    private static FlagKit.Protocol.V1.WriteOptions Options(ActiveRelease release, string comment, bool breakGlass) =>
        breakGlass
            ? new FlagKit.Protocol.V1.WriteOptions { Comment = comment, FreezeOverride = true, FreezeOverrideReason = $"release {release.Id}: {comment}" }
            : new FlagKit.Protocol.V1.WriteOptions { Comment = comment };

    /// <summary>The freeze in force in the environment now, in words (<c>freeze 'x' until …</c>), or null.</summary>
    private string? Freeze(string environment)
    {
        var now = _time.GetUtcNow();
        return _freezes.ActiveAt(environment, now) is { } active && _freezes.NextEnd(environment, now) is { } end
            ? $"freeze '{active.Name}' until {active.Format(end)}"
            : null;
    }

    /// <summary>An operator's promote waits for a freeze like the release's own steps.</summary>
    private ReleaseState NotFrozen(ActiveRelease release) =>
        Freeze(release.Environment) is { } frozen
            ? throw WriteRefusedException.Conflict($"Release {release.Id} cannot be promoted during {frozen}: its steps wait for the freeze to end (a rollback or an abort goes through).")
            : release.State;

    /// <summary>In a write's plan (run again whenever the revision moved): refuses when someone else changed the flag first.</summary>
    private static EnvironmentState Unchanged(ActiveRelease release, EnvironmentState env) =>
        release.ChangedBy is { } who
            ? throw WriteRefusedException.Conflict($"Flag '{release.Flag}' was changed by {who} while release {release.Id} ran: a human wins, the release pauses.")
            : env;

    private static CallerIdentity Caller(ActiveRelease release) =>
        new(release.Author, release.Author, ApiKeyRole.Admin, null, release.Author);

    /// <summary>The commit observer: a committed change to a release's flag by anyone but the release pauses it.</summary>
    private void OnCommitted(WriteCommand command, IReadOnlyList<HistoryRecord> history)
    {
        foreach (var row in history)
        {
            if (row.Kind != DocumentKind.Flag || !_byFlag.TryGetValue((command.Environment, row.Key), out var release) || command.Caller.Actor == release.Author)
            {
                continue;
            }

            release.ChangedBy = command.Caller.Actor;
            _ = Task.Run(() => PauseForChangeAsync(release, command.Caller.Actor, row.Revision));
        }
    }

    private async Task PauseForChangeAsync(ActiveRelease release, string who, long revision)
    {
        await release.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (release.ChangedBy is null || release.State.Status != ReleaseStatus.Running)
            {
                return;
            }

            var decision = _engine.Interrupt(release.State, PauseReason.FlagChanged, $"flag changed by {who} (revision {revision})");
            await CarryOutAsync(release, decision, release.Author, "paused", writeShare: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ReleaseLog.Failed(_logger, release.Id, release.Environment, release.Flag, "pausing for a human change", e);
        }
        finally
        {
            release.Gate.Release();
        }
    }

    private async Task NotifyAsync(ActiveRelease release, ReleaseDecision decision, DateTimeOffset now)
    {
        ReleaseNotificationKind? kind = decision.Action switch
        {
            ReleaseAction.Advance => ReleaseNotificationKind.StepAdvanced,
            ReleaseAction.Complete => ReleaseNotificationKind.Completed,
            ReleaseAction.RollBack => ReleaseNotificationKind.RolledBack,
            ReleaseAction.Pause => ReleaseNotificationKind.Paused,
            _ => null,
        };
        if (kind is null)
        {
            return;
        }

        var notification = new ReleaseNotification(kind.Value, release.Id, release.Environment, release.Flag, decision.State.TreatmentPercent, decision.Summary, now);
        foreach (var notifier in _notifiers)
        {
            try
            {
                await notifier.NotifyAsync(notification, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                ReleaseLog.NotifierFailed(_logger, release.Id, notifier.GetType().Name, e);
            }
        }
    }

    // ---- bookkeeping ------------------------------------------------------------------------------------------

    private void Register(ActiveRelease release)
    {
        _active[release.Id] = release;
        _byFlag[(release.Environment, release.Flag)] = release;
        if (release.State.Status == ReleaseStatus.Running)
        {
            Schedule(release);
        }
    }

    private void Schedule(ActiveRelease release, bool watch = true)
    {
        if (watch)
        {
            _inbox.Watch(release.Environment, release.Flag);
        }

        if (release.Timer is null)
        {
            var interval = release.State.Plan.Interval;
            release.Timer = _time.CreateTimer(static s => { var (runner, id) = ((ReleaseRunner, long))s!; _ = runner.EvaluateAsync(id); }, (this, release.Id), interval, interval);
        }
    }

    private void Unschedule(ActiveRelease release)
    {
        release.Timer?.Dispose();
        release.Timer = null;
        _inbox.Unwatch(release.Environment, release.Flag);
    }

    private void Forget(ActiveRelease release)
    {
        Unschedule(release);
        _active.TryRemove(release.Id, out _);
        _byFlag.TryRemove(new KeyValuePair<(string, string), ActiveRelease>((release.Environment, release.Flag), release));
    }

    /// <summary>
    /// The new state is the release's at once, stored or not: after a rollback whose save failed, the release must not
    /// run on from its old state (and re-expose the treatment). A failed save is logged and retried each interval, with
    /// the events not yet stored, until it succeeds.
    /// </summary>
    private void Save(ActiveRelease release, ReleaseState state, ReleaseEventRecord? appended)
    {
        release.State = state;
        if (appended is not null)
        {
            release.UnsavedEvents.Add(appended);
        }

        try
        {
            var json = ReleaseStateJson.Write(state);
            var status = ReleaseStateJson.Status(state.Status);
            var now = _time.GetUtcNow();
            _store.SaveRelease(release.Id, status, state.IsActive, json, now, release.UnsavedEvents.FirstOrDefault());
            for (var i = 1; i < release.UnsavedEvents.Count; i++)
            {
                _store.SaveRelease(release.Id, status, state.IsActive, json, now, release.UnsavedEvents[i]);
            }

            release.UnsavedEvents.Clear();
            release.Unsaved = false;
        }
        catch (System.Data.Common.DbException e)
        {
            release.Unsaved = true;
            ReleaseLog.Failed(_logger, release.Id, release.Environment, release.Flag, "saving its state", e);
        }
    }

    private ActiveRelease? Find(EnvironmentState env, long id, string flag) =>
        id > 0
            ? _active.TryGetValue(id, out var byId) && byId.Environment == env.Name ? byId : null
            : _byFlag.GetValueOrDefault((env.Name, flag));

    private WriteRefusedException Ended(EnvironmentState env, long id, string flag)
    {
        var stored = id > 0 ? _store.GetRelease(id) : null;
        if (stored is not null && stored.EnvironmentId == env.Record.Id)
        {
            return WriteRefusedException.Conflict($"Release {id} is {stored.Status}; it has ended.");
        }

        return WriteRefusedException.NotFound(id > 0
            ? $"Release {id} does not exist in environment '{env.Name}'."
            : $"Flag '{flag}' has no running or paused release in environment '{env.Name}'.");
    }

    private static string? EventKind(ReleaseDecision decision) => decision.Action switch
    {
        ReleaseAction.Advance => "advanced",
        ReleaseAction.Complete => "completed",
        ReleaseAction.RollBack => "rolledback",
        ReleaseAction.Pause => "paused",
        _ => null,
    };

    private static string Why(string comment) => string.IsNullOrWhiteSpace(comment) ? "" : $" ({comment.Trim()})";

    private static string Describe(ReleasePlan plan) =>
        $"{plan.Treatment} vs {plan.Control}, steps {string.Join(", ", plan.Steps)} %, hold {ReleaseText.Duration(plan.Hold)}";

    private ReleaseSnapshot Snapshot(ActiveRelease release) =>
        new(release.Id, release.Environment, release.CreatedBy, release.CreatedAt, release.State, _store.GetReleaseEvents(release.Id, EventsShown));

    private ReleaseSnapshot Snapshot(StoredRelease stored, string environment) =>
        new(stored.Id, environment, stored.CreatedBy, stored.CreatedAt, ReleaseStateJson.Read(stored.StateJson), _store.GetReleaseEvents(stored.Id, EventsShown));
}
