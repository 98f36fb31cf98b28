using System.Collections.Concurrent;
using System.Data.Common;
using FlagKit.Modes;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using FlagKit.Server.Sync;
using FlagKit.Server.Writes;
using Google.Protobuf;

namespace FlagKit.Server.Modes;

/// <summary>
/// Every environment's operating modes: loaded from the store when the server starts (so the first Welcome carries
/// them), changed by the mode RPCs (validated by the SDK's own <see cref="ModeCompiler"/>, committed with history and
/// audit, then handed to the environment's hub, which sends them to every SDK ahead of anything queued).
/// </summary>
/// <remarks>
/// Mode writes never take an environment's flag write gate: a read-only switch does not wait behind a long flag edit.
/// One mode write at a time per environment. Thread safety: all members are safe to call concurrently.
/// </remarks>
internal sealed class ModeCatalog : IHostedService
{
    private readonly IFlagStore _store;
    private readonly HubRegistry _hubs;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ModeSlot> _slots = new(StringComparer.Ordinal);

    /// <summary>Creates the catalog.</summary>
    /// <param name="store">The store.</param>
    /// <param name="hubs">The environments' hubs.</param>
    /// <param name="time">The clock.</param>
    public ModeCatalog(IFlagStore store, HubRegistry hubs, TimeProvider time)
    {
        _store = store;
        _hubs = hubs;
        _time = time;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var environment in _store.LoadEnvironments())
        {
            if (_store.LoadModes(environment.Id) is { } record)
            {
                var slot = _slots.GetOrAdd(environment.Name, _ => new ModeSlot());
                slot.Record = record;
                _hubs.GetOrAdd(environment.Name).PublishMode(State(record));
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The modes of an environment now.</summary>
    /// <param name="environment">The environment.</param>
    /// <returns>Version 0 and an empty document when it never had a mode change.</returns>
    /// <exception cref="WriteRefusedException">NotFound.</exception>
    public ModeStateResponse Get(string environment)
    {
        var env = FindEnvironment(environment);
        var record = Slot(env).Record;
        return new ModeStateResponse
        {
            Environment = env.Name,
            Version = record?.Version ?? 0,
            Json = ByteString.CopyFrom(record?.Json ?? ModeJson.Serialize(new ModeDocument())),
            ServerTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
        };
    }

    /// <summary>The mode history of an environment, newest first.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="limit">At most this many rows.</param>
    /// <returns>The rows.</returns>
    public IReadOnlyList<ModeHistoryRecord> History(string environment, int limit) => _store.GetModeHistory(FindEnvironment(environment).Id, limit);

    /// <summary>Turns a read-only / maintenance switch on or off.</summary>
    /// <param name="request">The request.</param>
    /// <param name="actor">Who (history and audit).</param>
    /// <param name="cancellationToken">Stops waiting for the environment's mode gate.</param>
    /// <returns>The answer.</returns>
    public Task<ModeWriteResponse> SetSwitchAsync(ModeSwitchRequest request, string actor, CancellationToken cancellationToken) =>
        WriteAsync(request.Environment, request.HasExpectedVersion ? request.ExpectedVersion : null, "SetModeSwitch", request.Comment, actor,
            (doc, now, _) => (ModeEdits.Switch(doc, request, actor, now), ""), cancellationToken);

    /// <summary>Announces a maintenance window.</summary>
    /// <param name="request">The request.</param>
    /// <param name="actor">Who.</param>
    /// <param name="cancellationToken">Stops waiting for the gate.</param>
    /// <returns>The answer (with the window's id).</returns>
    public Task<ModeWriteResponse> ScheduleAsync(MaintenanceScheduleRequest request, string actor, CancellationToken cancellationToken) =>
        WriteAsync(request.Environment, request.HasExpectedVersion ? request.ExpectedVersion : null, "ScheduleMaintenance", request.Comment, actor,
            (doc, now, nextVersion) =>
            {
                var id = request.Id.Length > 0 ? request.Id : $"mw-{nextVersion}";
                return (ModeEdits.Schedule(doc, request, id, actor, now), id);
            }, cancellationToken);

    /// <summary>Cancels a maintenance window.</summary>
    /// <param name="request">The request.</param>
    /// <param name="actor">Who.</param>
    /// <param name="cancellationToken">Stops waiting for the gate.</param>
    /// <returns>The answer.</returns>
    public Task<ModeWriteResponse> CancelAsync(MaintenanceCancelRequest request, string actor, CancellationToken cancellationToken) =>
        WriteAsync(request.Environment, request.HasExpectedVersion ? request.ExpectedVersion : null, "CancelMaintenance", request.Comment, actor,
            (doc, _, _) => (ModeEdits.Cancel(doc, request.Id), request.Id), cancellationToken);

    private async Task<ModeWriteResponse> WriteAsync(
        string environment, long? expectedVersion, string action, string comment, string actor,
        Func<ModeDocument, DateTimeOffset, long, (string? Summary, string Id)> edit, CancellationToken cancellationToken)
    {
        var env = FindEnvironment(environment);
        var slot = Slot(env);
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var before = slot.Record;
            var fromVersion = before?.Version ?? 0;
            if (expectedVersion is { } expected && expected != fromVersion)
            {
                throw WriteRefusedException.Conflict($"The modes of '{env.Name}' are at version {fromVersion}, not {expected}; nothing was changed.");
            }

            var now = _time.GetUtcNow();
            var document = ModeJson.Parse(before?.Json ?? []);
            ModeEdits.Prune(document, now);
            var (summary, id) = edit(document, now, fromVersion + 1);
            var answer = new ModeWriteResponse { Environment = env.Name, PreviousVersion = fromVersion, Version = fromVersion, Id = id };
            if (summary is null)
            {
                answer.Summary = "unchanged";
                answer.Json = ByteString.CopyFrom(before?.Json ?? ModeJson.Serialize(new ModeDocument()));
                return answer;
            }

            var json = Validate(document);
            var next = new ModeRecord(fromVersion + 1, json, now, actor);
            Commit(env, slot, new ModeCommit(
                env.Id, fromVersion, next,
                new ModeHistoryRecord(next.Version, action, actor, comment, now, summary, before?.Json, json),
                new AuditRecord(0, now, actor, action, env.Name, id.Length > 0 ? id : "modes", env.Revision, $"modes version {next.Version}: {summary}")));
            answer.Version = next.Version;
            answer.Summary = summary;
            answer.Changed = true;
            answer.Json = ByteString.CopyFrom(json);
            return answer;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private static byte[] Validate(ModeDocument document)
    {
        try
        {
            ModeCompiler.Compile(document, 1);
            return ModeJson.Serialize(document);
        }
        catch (FlagValidationException e)
        {
            throw WriteRefusedException.Invalid(string.Join("; ", e.Errors));
        }
    }

    private void Commit(EnvironmentRecord env, ModeSlot slot, ModeCommit commit)
    {
        try
        {
            _store.CommitModes(commit);
        }
        catch (ModeVersionConflictException)
        {
            // Another replica changed them: take its state; the caller retries against it.
            slot.Record = _store.LoadModes(env.Id);
            throw WriteRefusedException.Conflict($"The modes of '{env.Name}' changed meanwhile (now version {slot.Record?.Version ?? 0}); nothing was changed. Retry.");
        }
        catch (DbException e)
        {
            throw new WriteRefusedException(WriteRefusal.Unavailable, $"The store could not commit the mode change ({e.Message}); nothing was changed. Retry.");
        }

        slot.Record = commit.Next;
        _hubs.GetOrAdd(env.Name).PublishMode(State(commit.Next));
    }

    /// <summary>
    /// Several replicas: loads an environment's modes from the store and, when they are newer than the ones held here
    /// (another replica committed a change), makes them current and sends them to this replica's SDKs. Waits for the
    /// environment's mode gate, so it never interleaves with a mode write here.
    /// </summary>
    /// <param name="environment">The environment row.</param>
    /// <param name="cancellationToken">Stops waiting for the gate.</param>
    /// <returns>The version loaded, or null when the ones held here were current.</returns>
    public async Task<long?> CatchUpAsync(EnvironmentRecord environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var slot = _slots.GetOrAdd(environment.Name, _ => new ModeSlot());
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_store.LoadModes(environment.Id) is { } stored && stored.Version > (slot.Record?.Version ?? 0))
            {
                slot.Record = stored;
                slot.Loaded = true;
            }

            // Also when a refused write here loaded them already (Commit) without handing them to the hub.
            var hub = _hubs.GetOrAdd(environment.Name);
            if (slot.Record is not { } record || record.Version <= hub.Mode.Version)
            {
                return null;
            }

            hub.PublishMode(State(record));
            return record.Version;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private static ModeState State(ModeRecord record) => new() { Version = record.Version, Json = ByteString.CopyFrom(record.Json) };

    private EnvironmentRecord FindEnvironment(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw WriteRefusedException.Invalid("The environment name is required.");
        }

        return _store.LoadEnvironments().FirstOrDefault(e => e.Name == name)
            ?? throw WriteRefusedException.NotFound($"Environment '{name}' does not exist.");
    }

    private ModeSlot Slot(EnvironmentRecord env)
    {
        var slot = _slots.GetOrAdd(env.Name, _ => new ModeSlot());
        if (!slot.Loaded)
        {
            slot.Record ??= _store.LoadModes(env.Id);
            slot.Loaded = true;
        }

        return slot;
    }

    /// <summary>One environment's modes and its write gate.</summary>
    private sealed class ModeSlot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public volatile ModeRecord? Record;

        public volatile bool Loaded;
    }
}
