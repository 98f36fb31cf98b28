using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using FlagKit.Server.Store;
using FlagKit.Server.Sync;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Writes;

/// <summary>
/// The environments and the one write pipeline every admin write goes through: idempotency → optimistic
/// concurrency → plan → diff and summaries → validation by the SDK's compiler → durable commit → publish to the hub.
/// </summary>
/// <remarks>
/// <para>Writes are serialized (one gate; SQLite has one writer anyway), so an environment's revision rises by exactly
/// one per committed write and the hub sees revisions in order. A write is answered only after its transaction is
/// durable; nothing reaches a subscriber before that.</para>
/// <para>Reads are answered from the immutable <see cref="EnvironmentState"/> of the last commit.</para>
/// <para>Thread safety: all members are safe to call concurrently.</para>
/// </remarks>
internal sealed partial class EnvironmentCatalog
{
    private readonly FlagDatabase _db;
    private readonly HubRegistry _hubs;
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EnvironmentCatalog> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, EnvironmentState> _states = new(StringComparer.Ordinal);

    /// <summary>Creates the catalog (empty until <see cref="Load"/>).</summary>
    /// <param name="db">The store.</param>
    /// <param name="hubs">The hubs changes are published to.</param>
    /// <param name="options">Server options.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    public EnvironmentCatalog(FlagDatabase db, HubRegistry hubs, IOptions<FlagServerOptions> options, TimeProvider time, ILogger<EnvironmentCatalog> logger)
    {
        _db = db;
        _hubs = hubs;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Loads every environment from the store and primes its hub.</summary>
    public void Load()
    {
        foreach (var env in _db.LoadEnvironments())
        {
            var flags = new Dictionary<string, DocumentEntry>(StringComparer.Ordinal);
            var segments = new Dictionary<string, DocumentEntry>(StringComparer.Ordinal);
            foreach (var doc in _db.LoadDocuments(env.Id))
            {
                (doc.Kind == DocumentKind.Segment ? segments : flags)[doc.Key] = new DocumentEntry(doc);
            }

            var state = new EnvironmentState(env, "", flags, segments);
            var hash = "";
            try
            {
                hash = DocumentCodec.Compile(state.ToFile(), env.Revision).ContentHash;
            }
            catch (RpcException e)
            {
                // Stored content was valid when committed; a newer compiler may be stricter. Keep serving it.
                _logger.LogError("Environment '{Environment}' at revision {Revision} no longer compiles: {Problem}", env.Name, env.Revision, e.Status.Detail);
            }

            state = new EnvironmentState(env, hash, flags, segments);
            _states[env.Name] = state;
            _hubs.GetOrAdd(env.Name).Reset(env.Revision, hash, state.LiveFlags.Concat(state.LiveSegments).Select(e => e.Wire));
            _logger.LogInformation("Environment '{Environment}' at revision {Revision}: {Flags} flags, {Segments} segments",
                env.Name, env.Revision, state.LiveFlags.Count(), state.LiveSegments.Count());
        }
    }

    /// <summary>Every environment's current state, by name.</summary>
    public IReadOnlyList<EnvironmentState> All => _states.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>Whether an environment exists.</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when it exists.</returns>
    public bool Exists(string name) => _states.ContainsKey(name);

    /// <summary>An environment's current state.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The state.</returns>
    /// <exception cref="RpcException">NOT_FOUND (or INVALID_ARGUMENT when empty).</exception>
    public EnvironmentState Get(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The environment name is required."));
        }

        return _states.TryGetValue(name, out var state)
            ? state
            : throw new RpcException(new Status(StatusCode.NotFound, $"Environment '{name}' does not exist."));
    }

    /// <summary>Creates an environment at revision 0.</summary>
    /// <param name="name">Letters, digits, <c>.</c>, <c>_</c>, <c>-</c>; at most 64 characters.</param>
    /// <param name="actor">Who creates it (audit).</param>
    /// <param name="comment">Why.</param>
    /// <param name="cancellationToken">Cancels waiting for the write gate.</param>
    /// <returns>The new environment's state.</returns>
    /// <exception cref="RpcException">INVALID_ARGUMENT for a bad name, ALREADY_EXISTS when it exists.</exception>
    public async Task<EnvironmentState> CreateAsync(string name, string actor, string comment, CancellationToken cancellationToken)
    {
        if (!EnvironmentName().IsMatch(name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"Invalid environment name '{name}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_states.ContainsKey(name))
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"Environment '{name}' already exists."));
            }

            var record = _db.CreateEnvironment(name, new AuditRecord(0, _time.GetUtcNow(), actor, "CreateEnvironment", name, name, 0, comment));
            var empty = new Dictionary<string, DocumentEntry>(StringComparer.Ordinal);
            var hash = DocumentCodec.Compile(new FlagFile(), 0).ContentHash;
            var state = new EnvironmentState(record, hash, empty, new Dictionary<string, DocumentEntry>(StringComparer.Ordinal));
            _hubs.GetOrAdd(name).Reset(0, hash, []);
            _states[name] = state;
            _logger.LogInformation("Environment '{Environment}' created by {Actor}", name, actor);
            return state;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs one write through the pipeline.</summary>
    /// <param name="command">What is written, by whom, with which options.</param>
    /// <param name="plan">Computes the edits from the current state (throws RpcException to refuse).</param>
    /// <param name="cancellationToken">Cancels waiting for the write gate (never a commit in progress).</param>
    /// <returns>The answer (stored for the idempotency key).</returns>
    /// <exception cref="RpcException">FAILED_PRECONDITION (stale revision, reused idempotency key), INVALID_ARGUMENT (the compiler's message), NOT_FOUND.</exception>
    public async Task<WriteResponse> WriteAsync(WriteCommand command, Func<EnvironmentState, IReadOnlyList<DocumentEdit>> plan, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Write(command, plan);
        }
        finally
        {
            _gate.Release();
        }
    }

    private WriteResponse Write(WriteCommand command, Func<EnvironmentState, IReadOnlyList<DocumentEdit>> plan)
    {
        var state = Get(command.Environment);
        var options = command.Options ?? new FlagKit.Protocol.V1.WriteOptions();
        var idempotencyKey = command.DryRun || string.IsNullOrEmpty(options.IdempotencyKey) ? null : options.IdempotencyKey;
        var fingerprint = Fingerprint(command);
        if (idempotencyKey is not null)
        {
            if (idempotencyKey.Length > 200)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "The idempotency key is longer than 200 characters."));
            }

            if (_db.FindIdempotent(state.Record.Id, idempotencyKey) is { } earlier)
            {
                if (!CryptographicOperations.FixedTimeEquals(earlier.RequestHash, fingerprint))
                {
                    throw new RpcException(new Status(StatusCode.FailedPrecondition,
                        $"Idempotency key '{idempotencyKey}' was already used for a different request in environment '{state.Name}'."));
                }

                var replay = WriteResponse.Parser.ParseFrom(earlier.Response);
                replay.Replayed = true;
                return replay;
            }
        }

        if (options.HasExpectedRevision && options.ExpectedRevision != state.Revision)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"Stale write refused: expected revision {options.ExpectedRevision} of environment '{state.Name}', but it is at revision {state.Revision}. Re-read and retry."));
        }

        var edits = plan(state);
        var now = _time.GetUtcNow();
        var revision = state.Revision + 1;
        var actor = command.Caller.Actor;
        var flags = new Dictionary<string, DocumentEntry>(state.Flags, StringComparer.Ordinal);
        var segments = new Dictionary<string, DocumentEntry>(state.Segments, StringComparer.Ordinal);
        var response = new WriteResponse { Environment = state.Name, PreviousRevision = state.Revision, Revision = state.Revision, DryRun = command.DryRun };
        var stored = new List<StoredDocument>();
        var history = new List<HistoryRecord>();
        var upserts = new List<Document>();
        var removed = new List<DocumentRef>();
        var killed = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<(DocumentKind, string)>();

        foreach (var edit in edits)
        {
            if (!seen.Add((edit.Kind, edit.Key)))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"{KindName(edit.Kind)} '{edit.Key}' appears more than once in one write."));
            }

            var existing = state.Find(edit.Kind, edit.Key);
            var live = existing is { IsLive: true } ? existing : null;
            Change change;
            if (edit.IsArchive)
            {
                if (live is null)
                {
                    response.Changes.Add(new Change { Kind = edit.Kind, Key = edit.Key, Action = "unchanged", Summary = "not live" });
                    continue;
                }

                var doc = live.Stored with { Archived = true, Revision = revision, UpdatedAt = now, UpdatedBy = actor };
                stored.Add(doc);
                (edit.Kind == DocumentKind.Segment ? segments : flags)[edit.Key] = new DocumentEntry(doc);
                removed.Add(new DocumentRef { Kind = edit.Kind, Key = edit.Key });
                change = new Change { Kind = edit.Kind, Key = edit.Key, Action = "archived", BeforeJson = ByteString.CopyFrom(live.Stored.Json), Summary = "archived" };
            }
            else
            {
                var previousVersion = existing?.Stored.Version ?? 0;
                var json = Serialize(edit, previousVersion);
                if (live is not null && json.AsSpan().SequenceEqual(live.Stored.Json))
                {
                    response.Changes.Add(new Change { Kind = edit.Kind, Key = edit.Key, Action = "unchanged", Summary = "no change" });
                    continue;
                }

                json = Serialize(edit, previousVersion + 1);
                if (json.Length > _options.MaxDocumentBytes)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"{KindName(edit.Kind)} '{edit.Key}' is {json.Length} bytes; the limit is {_options.MaxDocumentBytes} (FlagKit:Server:MaxDocumentBytes)."));
                }

                var doc = new StoredDocument(edit.Kind, edit.Key, json, previousVersion + 1, revision, now, actor, false);
                var entry = new DocumentEntry(doc);
                stored.Add(doc);
                (edit.Kind == DocumentKind.Segment ? segments : flags)[edit.Key] = entry;
                upserts.Add(entry.Wire);
                if (entry.Flag is { Killed: true } && live?.Flag is not { Killed: true })
                {
                    killed.Add(edit.Key);
                }

                var action = live is null ? "created" : "updated";
                var summary = edit.Kind == DocumentKind.Flag
                    ? live is null ? ChangeSummary.Created(entry.Flag!) : ChangeSummary.Updated(live.Flag!, entry.Flag!)
                    : live is null ? ChangeSummary.Created(entry.Segment!) : ChangeSummary.Updated(live.Segment!, entry.Segment!);
                change = new Change { Kind = edit.Kind, Key = edit.Key, Action = action, AfterJson = UnsafeByteOperations.UnsafeWrap(json), Summary = summary };
                if (live is not null)
                {
                    change.BeforeJson = ByteString.CopyFrom(live.Stored.Json);
                }
            }

            response.Changes.Add(change);
            history.Add(new HistoryRecord(
                revision, edit.Kind, edit.Key, change.Action, actor, options.Comment, now,
                change.BeforeJson.IsEmpty ? null : change.BeforeJson.ToByteArray(),
                change.AfterJson.IsEmpty ? null : change.AfterJson.ToByteArray(),
                change.Summary));
        }

        if (history.Count == 0)
        {
            if (idempotencyKey is not null)
            {
                _db.StoreIdempotent(state.Record.Id, idempotencyKey, new IdempotentAnswer(fingerprint, response.ToByteArray()), now);
            }

            return response;
        }

        var candidate = new EnvironmentState(state.Record with { Revision = revision }, "", flags, segments);
        var snapshot = DocumentCodec.Compile(candidate.ToFile(), revision);
        if (command.DryRun)
        {
            return response;
        }

        response.Revision = revision;
        var audit = new AuditRecord(0, now, actor, command.Action, state.Name, command.Target, revision, AuditDetail(options.Comment, response));
        try
        {
            _db.Commit(
                new CommitBatch(state.Record.Id, state.Revision, revision, stored, history, audit, idempotencyKey,
                    idempotencyKey is null ? null : new IdempotentAnswer(fingerprint, response.ToByteArray())),
                now - _options.IdempotencyRetention);
        }
        catch (SqliteException e)
        {
            _logger.LogError(e, "Commit of revision {Revision} of '{Environment}' failed", revision, state.Name);
            throw new RpcException(new Status(StatusCode.Unavailable, $"The store could not commit the write (SQLite error {e.SqliteErrorCode}); nothing was changed. Retry."));
        }

        // After the stored answer was taken (a replayed answer has no commit time of its own).
        response.CommittedAt = Timestamp.FromDateTimeOffset(_time.GetUtcNow());
        var next = new EnvironmentState(candidate.Record, snapshot.ContentHash, flags, segments);
        _states[state.Name] = next;
        _hubs.GetOrAdd(state.Name).Publish(new RevisionChange(revision, snapshot.ContentHash, upserts, removed, killed));
        _logger.LogInformation("'{Environment}' revision {Revision} by {Actor}: {Action} {Target} ({Changes} changes)",
            state.Name, revision, actor, command.Action, command.Target, history.Count);
        return response;
    }

    private static byte[] Serialize(DocumentEdit edit, long version)
    {
        if (edit.Flag is { } flag)
        {
            flag.Version = version;
            return DocumentCodec.Serialize(flag);
        }

        edit.Segment!.Version = version;
        return DocumentCodec.Serialize(edit.Segment);
    }

    private static byte[] Fingerprint(WriteCommand command)
    {
        var action = Encoding.UTF8.GetBytes(command.Action + "\n");
        var body = command.Request.ToByteArray();
        return SHA256.HashData([.. action, .. body]);
    }

    private static string AuditDetail(string comment, WriteResponse response)
    {
        var changes = string.Join("; ", response.Changes.Where(c => c.Action != "unchanged").Select(c => $"{KindName(c.Kind)} '{c.Key}' {c.Action}: {c.Summary}"));
        var detail = string.IsNullOrEmpty(comment) ? changes : $"{comment} — {changes}";
        return detail.Length <= 2000 ? detail : detail[..1999] + "…";
    }

    /// <summary>"flag" or "segment".</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The word.</returns>
    public static string KindName(DocumentKind kind) => kind == DocumentKind.Segment ? "segment" : "flag";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex EnvironmentName();
}
