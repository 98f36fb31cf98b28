using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Configuration;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Store;
using FlagKit.Server.Sync;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Writes;

/// <summary>
/// The environments and the one write pipeline every admin write goes through: prepare (idempotency, optimistic
/// concurrency, plan, bounds, diff, validation by the SDK's compiler, summaries — see <see cref="WritePreparation"/>)
/// → commit (durable) → publish to the hub.
/// </summary>
/// <remarks>
/// <para>Writes are serialized <b>per environment</b> (one commit gate each; environments never wait for each other),
/// so an environment's revision rises by exactly one per committed write and its hub sees revisions in order. The
/// commit gate is held only to commit: a write is prepared outside it (one preparation at a time per environment, on a
/// thread of its own) against revision N and committed only if the environment is still at N, else prepared again.
/// An urgent state change (<see cref="WriteCommand.Urgent"/>: kill, enable…) takes the commit gate at once and is
/// prepared under it, compiling only its flags, so it never waits behind a long edit. A write is answered only after
/// its transaction is durable; nothing reaches a subscriber before that.</para>
/// <para>Reads are answered from the immutable <see cref="EnvironmentState"/> of the last commit.</para>
/// <para>Thread safety: all members are safe to call concurrently.</para>
/// </remarks>
internal sealed partial class EnvironmentCatalog
{
    private readonly IFlagStore _db;
    private readonly HubRegistry _hubs;
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EnvironmentCatalog> _logger;
    private readonly WritePreparation _preparation;
    private readonly ServerMetrics _metrics;
    private readonly Scheduling.FreezeCalendar _freezes;
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _preparing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EnvironmentState> _states = new(StringComparer.Ordinal);

    /// <summary>Creates the catalog (empty until <see cref="Load"/>).</summary>
    /// <param name="db">The store.</param>
    /// <param name="hubs">The hubs changes are published to.</param>
    /// <param name="options">Server options.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="metrics">Where commits, their latency and refusals are counted.</param>
    /// <param name="freezes">The freeze windows every write is checked against.</param>
    public EnvironmentCatalog(IFlagStore db, HubRegistry hubs, IOptions<FlagServerOptions> options, TimeProvider time, ILogger<EnvironmentCatalog> logger, ServerMetrics metrics, Scheduling.FreezeCalendar freezes)
    {
        _metrics = metrics;
        _freezes = freezes;
        _db = db;
        _hubs = hubs;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _preparation = new WritePreparation(db, _options, time);
    }

    /// <summary>Loads every environment from the store and primes its hub.</summary>
    public void Load()
    {
        foreach (var env in _db.LoadEnvironments())
        {
            LoadEnvironment(env);
        }
    }

    /// <summary>Loads one environment from the store and primes its hub (at start, or one another replica created).</summary>
    private void LoadEnvironment(EnvironmentRecord env)
    {
        {
            var flags = new Dictionary<string, DocumentEntry>(StringComparer.Ordinal);
            var segments = new Dictionary<string, DocumentEntry>(StringComparer.Ordinal);
            foreach (var doc in _db.LoadDocuments(env.Id))
            {
                (doc.Kind == DocumentKind.Segment ? segments : flags)[doc.Key] = new DocumentEntry(doc);
            }

            var state = new EnvironmentState(env, "", flags, segments);
            var hash = "";
            FlagSnapshot? snapshot = null;
            try
            {
                snapshot = DocumentCodec.Compile(state.ToFile(), env.Revision);
                hash = snapshot.ContentHash;
            }
            catch (WriteRefusedException e)
            {
                // Stored content was valid when committed; a newer compiler may be stricter. Keep serving it.
                ServerLog.EnvironmentNoLongerCompiles(_logger, env.Name, env.Revision, e.Message);
            }

            state = new EnvironmentState(env, hash, flags, segments, snapshot);
            _states[env.Name] = state;
            _hubs.GetOrAdd(env.Name).Reset(env.Revision, hash, state.LiveFlags.Concat(state.LiveSegments).Select(e => e.Wire));
            SeedChangeLog(state);
            ServerLog.EnvironmentLoaded(
                _logger, env.Name, env.Revision, state.LiveFlagCount, state.LiveSegments.Count());
        }
    }

    /// <summary>Every environment's current state, by name.</summary>
    public IReadOnlyList<EnvironmentState> All => _states.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Raised after each durable commit with the write and its history rows, under the environment's commit gate: keep
    /// a handler short and never write from it (guarded releases pause when someone else changes their flag).
    /// </summary>
    public event Action<WriteCommand, IReadOnlyList<HistoryRecord>>? Committed;

    /// <summary>Whether an environment exists.</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when it exists.</returns>
    public bool Exists(string name) => _states.ContainsKey(name);

    /// <summary>An environment's current state.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The state.</returns>
    /// <exception cref="WriteRefusedException">NotFound (or Invalid when empty).</exception>
    public EnvironmentState Get(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw WriteRefusedException.Invalid("The environment name is required.");
        }

        return _states.TryGetValue(name, out var state)
            ? state
            : throw WriteRefusedException.NotFound($"Environment '{name}' does not exist.");
    }

    /// <summary>Creates an environment at revision 0.</summary>
    /// <param name="name">Letters, digits, <c>.</c>, <c>_</c>, <c>-</c>; at most 64 characters.</param>
    /// <param name="actor">Who creates it (audit).</param>
    /// <param name="comment">Why.</param>
    /// <param name="cancellationToken">Cancels waiting for the create gate.</param>
    /// <returns>The new environment's state.</returns>
    /// <exception cref="WriteRefusedException">Invalid for a bad name, AlreadyExists when it exists.</exception>
    public async Task<EnvironmentState> CreateAsync(string name, string actor, string comment, CancellationToken cancellationToken)
    {
        if (!IsEnvironmentName(name))
        {
            throw WriteRefusedException.Invalid(
                $"Invalid environment name '{name}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        await _createGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_states.ContainsKey(name))
            {
                throw new WriteRefusedException(WriteRefusal.AlreadyExists, $"Environment '{name}' already exists.");
            }

            EnvironmentRecord record;
            try
            {
                record = _db.CreateEnvironment(name, new AuditRecord(0, _time.GetUtcNow(), actor, "CreateEnvironment", name, name, 0, comment));
            }
            catch (System.Data.Common.DbException) when (LearnEnvironmentsLocked() >= 0 && _states.ContainsKey(name))
            {
                // Another replica created it first.
                throw new WriteRefusedException(WriteRefusal.AlreadyExists, $"Environment '{name}' already exists.");
            }

            var empty = new Dictionary<string, DocumentEntry>(StringComparer.Ordinal);
            var snapshot = DocumentCodec.Compile(new FlagFile(), 0);
            var hash = snapshot.ContentHash;
            var state = new EnvironmentState(record, hash, empty, new Dictionary<string, DocumentEntry>(StringComparer.Ordinal), snapshot);
            _hubs.GetOrAdd(name).Reset(0, hash, []);
            _states[name] = state;
            ServerLog.EnvironmentCreated(_logger, name, actor);
            return state;
        }
        finally
        {
            _createGate.Release();
        }
    }

    /// <summary>Whether a name is a valid environment name (the whole string: a trailing newline is not accepted).</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when valid.</returns>
    public static bool IsEnvironmentName(string? name) => name is not null && EnvironmentName().IsMatch(name);

    /// <summary>Runs one write through the pipeline.</summary>
    /// <param name="command">What is written, by whom, with which options.</param>
    /// <param name="plan">Computes the edits from the current state (throws to refuse). May run more than once.</param>
    /// <param name="cancellationToken">Cancels the preparation and waiting for the gates (never a commit in progress).</param>
    /// <returns>The answer (stored for the idempotency key).</returns>
    /// <exception cref="WriteRefusedException">Conflict (stale revision, reused idempotency key, a freeze), Invalid (the compiler's message), NotFound, LimitExceeded.</exception>
    public async Task<WriteResponse> WriteAsync(WriteCommand command, Func<EnvironmentState, IReadOnlyList<DocumentEdit>> plan, CancellationToken cancellationToken)
    {
        var started = _metrics.Now();
        try
        {
            return await RunWriteAsync(command, plan, started, cancellationToken).ConfigureAwait(false);
        }
        catch (WriteRefusedException e)
        {
            _metrics.WriteRefused(Exists(command.Environment) ? command.Environment : ServerMetrics.UnknownEnvironment, command.Action, e.Refusal);
            throw;
        }
    }

    private async Task<WriteResponse> RunWriteAsync(WriteCommand command, Func<EnvironmentState, IReadOnlyList<DocumentEdit>> plan, long started, CancellationToken cancellationToken)
    {
        var name = Get(command.Environment).Name;
        command = _freezes.Admit(command);
        if (command.Options is { HasExpectedRevision: true } expected && expected.ExpectedRevision > Get(name).Revision)
        {
            // Replicas: the caller read a revision another replica committed and this one has not learnt yet.
            await CatchUpForWriteAsync(name, cancellationToken).ConfigureAwait(false);
        }

        var gate = _gates.GetOrAdd(name, static _ => new SemaphoreSlim(1, 1));
        if (command.Urgent)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Short by construction (a state change compiles only its flags): once started it finishes. Prepared
                // again only when another replica committed first (the commit caught up with it).
                while (true)
                {
                    var prepared = _preparation.Prepare(command, Get(name), plan, CancellationToken.None);
                    if (prepared.Write is not { } write)
                    {
                        return Answer(command, prepared.Answer!);
                    }

                    if (Commit(command, write, started) is { } committed)
                    {
                        return committed;
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }

        // Other writes of the environment prepare one at a time, so only an urgent state change can move the revision
        // under a prepared write; then it is prepared again (never under the commit gate, which a kill may need).
        var preparing = _preparing.GetOrAdd(name, static _ => new SemaphoreSlim(1, 1));
        await preparing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                // On a thread of its own: a long preparation must not hold one of the few pool threads a kill needs.
                // What follows (the commit, under the gate and the store's writer lock) resumes on a pool thread at
                // normal priority: run inline on the lowered thread, it made a kill wait for a thread the OS starves.
                var prepared = await Task.Factory.StartNew(
                    () =>
                    {
                        PreparationThread.Lower();
                        return _preparation.Prepare(command, Get(name), plan, cancellationToken);
                    },
                    cancellationToken, TaskCreationOptions.LongRunning | TaskCreationOptions.RunContinuationsAsynchronously, TaskScheduler.Default).ConfigureAwait(false);
                if (prepared.Write is not { } write)
                {
                    return Answer(command, prepared.Answer!);
                }

                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (Get(name).Revision == write.Base.Revision && Commit(command, write, started) is { } committed)
                    {
                        return committed;
                    }
                }
                finally
                {
                    gate.Release();
                }

                ServerLog.WriteRaced(_logger, name, write.Base.Revision, command.Action);
            }
        }
        finally
        {
            preparing.Release();
        }
    }

    /// <summary>"flag" or "segment".</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The word.</returns>
    public static string KindName(DocumentKind kind) => WritePreparation.KindName(kind);

    /// <summary>An answer without a commit: a no-op's answer is kept for its idempotency key so a retry answers the same.</summary>
    private WriteResponse Answer(WriteCommand command, WriteResponse answer)
    {
        var key = command.Options?.IdempotencyKey;
        if (!command.DryRun && !answer.Replayed && !string.IsNullOrEmpty(key))
        {
            _db.StoreIdempotent(Get(command.Environment).Record.Id, key, new IdempotentAnswer(WritePreparation.Fingerprint(command), answer.ToByteArray()), _time.GetUtcNow());
        }

        return answer;
    }

    /// <summary>
    /// Durable commit, then the new state and the publish. Called under the environment's gate. Null when another
    /// replica committed this revision first: the environment has caught up with the store; prepare again.
    /// </summary>
    private WriteResponse? Commit(WriteCommand command, PreparedWrite write, long started)
    {
        var state = write.Base;
        var response = write.Response;
        var audit = new AuditRecord(0, write.Time, command.Caller.Actor, command.Action, state.Name, command.Target, write.Next.Revision,
            AuditDetail(command.Options?.Comment ?? "", response));
        try
        {
            _db.Commit(
                new CommitBatch(state.Record.Id, state.Revision, write.Next.Revision, write.Documents, write.History, audit, write.IdempotencyKey,
                    write.IdempotencyKey is null ? null : new IdempotentAnswer(write.Fingerprint, response.ToByteArray())),
                write.Time - _options.IdempotencyRetention);
        }
        catch (RevisionConflictException)
        {
            CatchUpAfterConflict(state.Name);
            return null;
        }
        catch (IdempotencyKeyTakenException e)
        {
            return ReplayTaken(command, e);
        }
        catch (System.Data.Common.DbException e)
        {
            ServerLog.CommitFailed(_logger, write.Next.Revision, state.Name, e);
            throw new WriteRefusedException(WriteRefusal.Unavailable, $"The store could not commit the write ({e.Message}); nothing was changed. Retry.");
        }

        _metrics.WriteCommitted(state.Name, command.Action, started);

        // After the stored answer was taken (a replayed answer has no commit time of its own).
        response.CommittedAt = Timestamp.FromDateTimeOffset(_time.GetUtcNow());
        _states[state.Name] = write.Next;
        _hubs.GetOrAdd(state.Name).Publish(write.Change);
        Committed?.Invoke(command, write.History);
        ServerLog.WriteCommitted(
            _logger, state.Name, write.Next.Revision, command.Caller.Actor, command.Action, command.Target, write.History.Count);
        return response;
    }

    private static string AuditDetail(string comment, WriteResponse response)
    {
        const int Max = 2000;
        var detail = new System.Text.StringBuilder(comment);
        var first = true;
        foreach (var c in response.Changes.Where(c => c.Action != "unchanged"))
        {
            detail.Append(first ? (comment.Length > 0 ? " — " : "") : "; ").Append($"{KindName(c.Kind)} '{c.Key}' {c.Action}: {c.Summary}");
            first = false;
            if (detail.Length > Max)
            {
                break;
            }
        }

        return detail.Length <= Max ? detail.ToString() : detail.ToString(0, Max - 1) + "…";
    }

    // \z, not $: '$' also matches before a final newline, which let "qa\n" in.
    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z")]
    private static partial Regex EnvironmentName();
}
