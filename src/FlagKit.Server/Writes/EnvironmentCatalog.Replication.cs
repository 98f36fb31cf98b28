using System.Security.Cryptography;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Configuration;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Replication;
using FlagKit.Server.Store;
using FlagKit.Server.Sync;

namespace FlagKit.Server.Writes;

/// <content>
/// Several replicas on one database: learning the environments and commits other replicas made. A commit refused
/// because another replica took the revision first catches the environment up and is prepared again; a duplicate
/// idempotency key another replica stored first answers that stored answer.
/// </content>
internal sealed partial class EnvironmentCatalog
{
    /// <summary>Environments in the store this replica does not hold yet (created on another replica) are loaded.</summary>
    /// <returns>How many were learnt.</returns>
    public int LearnEnvironments()
    {
        _createGate.Wait();
        try
        {
            return LearnEnvironmentsLocked();
        }
        finally
        {
            _createGate.Release();
        }
    }

    /// <summary>
    /// Brings an environment up to the store's revision: the documents committed since this replica's revision are
    /// applied as one change (from this revision to the store's) and published to the hub. Waits for the
    /// environment's commit gate, so it never interleaves with this replica's own commits.
    /// </summary>
    /// <param name="name">The environment.</param>
    /// <param name="cancellationToken">Cancels waiting for the gate.</param>
    /// <returns>The revision the environment is at afterwards.</returns>
    public async Task<long> CatchUpAsync(string name, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(name, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return CatchUpLocked(name);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The name of the environment with a row id, if this replica holds it.</summary>
    /// <param name="environmentId">The row id.</param>
    /// <returns>The name, or null.</returns>
    public string? NameOf(long environmentId) => _states.Values.FirstOrDefault(s => s.Record.Id == environmentId)?.Name;

    /// <summary>
    /// A freshly loaded environment (server start, or one another replica created): fills its hub's change log from
    /// the documents' revisions, so that an SDK resuming from any of the last <see cref="FlagServerOptions.ChangeLogCapacity"/>
    /// revisions (it moved here from another replica, or this server restarted) gets a delta, not a snapshot. One entry
    /// per revision that is some document's latest: an SDK at revision s gets exactly the documents changed after s, in
    /// their current state. Costs no store read (the documents were just loaded) and no copy (the entries share them).
    /// </summary>
    private void SeedChangeLog(EnvironmentState state)
    {
        var to = state.Revision;
        if (to <= 0)
        {
            return;
        }

        var floor = Math.Max(0, to - _options.ChangeLogCapacity);
        var groups = state.Flags.Values.Concat(state.Segments.Values)
            .Where(e => e.Stored.Revision > floor && e.Stored.Revision <= to)
            .GroupBy(e => e.Stored.Revision)
            .OrderBy(g => g.Key)
            .ToList();
        var changes = new List<RevisionChange>(Math.Max(1, groups.Count));
        var from = floor;
        for (var i = 0; i < groups.Count; i++)
        {
            // The last entry ends at the environment's revision even when that revision's documents changed again later.
            var revision = i == groups.Count - 1 ? to : groups[i].Key;
            changes.Add(SeedEntry(groups[i].ToList(), from, revision, i == groups.Count - 1 ? state.ContentHash : ""));
            from = revision;
        }

        if (changes.Count == 0)
        {
            // Nothing changed in the last revisions' range: a resume from any of them gets an empty delta.
            changes.Add(SeedEntry([], floor, to, state.ContentHash));
        }

        if (_hubs.GetOrAdd(state.Name).SeedLog(changes))
        {
            ReplicationLog.ChangeLogSeeded(_logger, state.Name, floor, to, groups.Sum(g => g.Count()));
        }
    }

    private static RevisionChange SeedEntry(List<DocumentEntry> entries, long from, long revision, string contentHash) =>
        new(
            revision,
            contentHash,
            entries.Where(e => e.IsLive).Select(e => e.Wire).ToList(),
            entries.Where(e => !e.IsLive).Select(e => new DocumentRef { Kind = e.Stored.Kind, Key = e.Stored.Key }).ToList(),
            entries.Where(e => e.IsLive && e.Flag is { Killed: true }).Select(e => e.Stored.Key).ToHashSet(StringComparer.Ordinal))
        {
            FromRevision = from,
        };

    /// <summary>After a commit refused because another replica took the revision: catch up, or answer Unavailable when the store cannot be read.</summary>
    private void CatchUpAfterConflict(string name)
    {
        try
        {
            CatchUpLocked(name);
        }
        catch (System.Data.Common.DbException e)
        {
            throw new WriteRefusedException(WriteRefusal.Unavailable, $"Another replica committed first and the store could not be read ({e.Message}); nothing was changed. Retry.");
        }
    }

    /// <summary>Before a write whose expected revision is ahead of this replica; Unavailable when the store cannot be read.</summary>
    private async Task CatchUpForWriteAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await CatchUpAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException e)
        {
            throw new WriteRefusedException(WriteRefusal.Unavailable, $"The store could not be read ({e.Message}); nothing was changed. Retry.");
        }
    }

    private int LearnEnvironmentsLocked()
    {
        var learnt = 0;
        foreach (var env in _db.LoadEnvironments().Where(e => !_states.ContainsKey(e.Name)))
        {
            LoadEnvironment(env);
            learnt++;
        }

        return learnt;
    }

    /// <summary>Called under the environment's commit gate (see <see cref="CatchUpAsync"/>).</summary>
    private long CatchUpLocked(string name)
    {
        var state = Get(name);
        if (_db.ReadChangesSince(state.Record.Id, state.Revision) is not { } changes || changes.Environment.Revision <= state.Revision)
        {
            return state.Revision;
        }

        var (next, change) = Apply(state, changes);
        _states[name] = next;
        _hubs.GetOrAdd(name).Publish(change);
        ReplicationLog.CaughtUp(_logger, name, state.Revision, next.Revision, changes.Documents.Count);
        return next.Revision;
    }

    /// <summary>The state after the other replicas' commits, and the one change subscribers are sent for them.</summary>
    private (EnvironmentState Next, RevisionChange Change) Apply(EnvironmentState state, EnvironmentChanges changes)
    {
        var revision = changes.Environment.Revision;
        var flags = new Dictionary<string, DocumentEntry>(state.Flags, StringComparer.Ordinal);
        var segments = new Dictionary<string, DocumentEntry>(state.Segments, StringComparer.Ordinal);
        var upserts = new List<Document>();
        var removed = new List<DocumentRef>();
        var killed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stored in changes.Documents)
        {
            var entry = new DocumentEntry(stored);
            var before = state.Find(stored.Kind, stored.Key);
            (stored.Kind == DocumentKind.Segment ? segments : flags)[stored.Key] = entry;
            if (stored.Archived)
            {
                removed.Add(new DocumentRef { Kind = stored.Kind, Key = stored.Key });
                continue;
            }

            upserts.Add(entry.Wire);
            if (entry.Flag is { Killed: true } && before is not { IsLive: true, Flag.Killed: true })
            {
                killed.Add(stored.Key);
            }
        }

        var draft = new EnvironmentState(changes.Environment, "", flags, segments);
        var snapshot = CompileCaughtUp(state, draft, upserts, removed);
        var hash = snapshot?.ContentHash ?? "";
        var next = new EnvironmentState(changes.Environment, hash, flags, segments, snapshot);
        return (next, new RevisionChange(revision, hash, upserts, removed, killed) { FromRevision = state.Revision });
    }

    /// <summary>Compiles only what changed when the previous snapshot is there, else everything; null when stored content no longer compiles.</summary>
    private FlagSnapshot? CompileCaughtUp(EnvironmentState state, EnvironmentState next, List<Document> upserts, List<DocumentRef> removed)
    {
        if (state.Snapshot is { } previous)
        {
            var failures = new List<FlagKit.Compilation.DocumentFailure>();
            var isFlag = (Document d) => d.Kind == DocumentKind.Flag;
            var snapshot = SnapshotBuilder.ApplyDelta(
                previous, next.Revision,
                upserts.Where(isFlag).Select(d => next.Flags[d.Key].Flag!).ToList(),
                upserts.Where(d => !isFlag(d)).Select(d => next.Segments[d.Key].Segment!).ToList(),
                removed.Where(r => r.Kind == DocumentKind.Flag && state.Find(r.Kind, r.Key) is { IsLive: true }).Select(r => r.Key).ToList(),
                removed.Where(r => r.Kind == DocumentKind.Segment && state.Find(r.Kind, r.Key) is { IsLive: true }).Select(r => r.Key).ToList(),
                failures);
            if (failures.Count == 0)
            {
                return snapshot;
            }
        }

        try
        {
            return DocumentCodec.Compile(next.ToFile(), next.Revision);
        }
        catch (WriteRefusedException e)
        {
            // Committed by another replica, so valid there; a newer compiler may be stricter. Keep serving it.
            ServerLog.EnvironmentNoLongerCompiles(_logger, next.Name, next.Revision, e.Message);
            return null;
        }
    }

    /// <summary>Another replica stored an answer under the key first (a concurrent duplicate): answer it, as a replay would.</summary>
    private static WriteResponse ReplayTaken(WriteCommand command, IdempotencyKeyTakenException taken)
    {
        if (!CryptographicOperations.FixedTimeEquals(taken.Stored.RequestHash, WritePreparation.Fingerprint(command)))
        {
            throw WriteRefusedException.Conflict(
                $"Idempotency key '{taken.Key}' was already used for a different request in environment '{command.Environment}'.");
        }

        var replay = WriteResponse.Parser.ParseFrom(taken.Stored.Response);
        replay.Replayed = true;
        return replay;
    }
}
