using System.Security.Cryptography;
using System.Text;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Configuration;
using FlagKit.Server.Store;
using FlagKit.Server.Sync;
using Google.Protobuf;

namespace FlagKit.Server.Writes;

/// <summary>
/// Works a write out against one state, in steps — replay, plan, bound, diff, validate, describe — without taking
/// any gate: the caller commits the result only if the environment is still at that state's revision.
/// </summary>
/// <remarks>
/// Every limit is checked before the work it limits (the environment's flag count right after planning, each
/// document's size before the compiler runs), and every document is validated by the SDK's compiler before anything
/// summarizes it. The caller's cancellation is honoured between steps and while diffing.
/// Thread safety: stateless apart from its dependencies; safe to call concurrently.
/// </remarks>
internal sealed class WritePreparation
{
    private const int IdempotencyKeyMaxLength = 200;

    private readonly IIdempotencyStore _db;
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the preparation step.</summary>
    /// <param name="db">The store (idempotent answers).</param>
    /// <param name="options">Limits.</param>
    /// <param name="time">The clock.</param>
    public WritePreparation(IIdempotencyStore db, FlagServerOptions options, TimeProvider time)
    {
        _db = db;
        _options = options;
        _time = time;
    }

    /// <summary>Prepares one write against <paramref name="state"/>.</summary>
    /// <param name="command">The write.</param>
    /// <param name="state">The state to prepare it against.</param>
    /// <param name="plan">Computes the edits from the state.</param>
    /// <param name="cancellationToken">Stops the work (nothing is committed yet).</param>
    /// <returns>An answer, or a write to commit.</returns>
    /// <exception cref="WriteRefusedException">The write is refused (the message says what and where).</exception>
    public WriteOutcome Prepare(WriteCommand command, EnvironmentState state, Func<EnvironmentState, IReadOnlyList<DocumentEdit>> plan, CancellationToken cancellationToken)
    {
        var options = command.Options ?? new Protocol.V1.WriteOptions();
        var idempotencyKey = command.DryRun || string.IsNullOrEmpty(options.IdempotencyKey) ? null : options.IdempotencyKey;
        var fingerprint = Fingerprint(command);
        if (Replay(state, idempotencyKey, fingerprint) is { } replay)
        {
            return new WriteOutcome(replay, null);
        }

        if (options.HasExpectedRevision && options.ExpectedRevision != state.Revision)
        {
            throw WriteRefusedException.Conflict(
                $"Stale write refused: expected revision {options.ExpectedRevision} of environment '{state.Name}', but it is at revision {state.Revision}. Re-read and retry.");
        }

        var edits = plan(state);
        cancellationToken.ThrowIfCancellationRequested();
        CheckBounds(state, edits);
        var diff = Diff(state, edits, cancellationToken);
        var response = new WriteResponse { Environment = state.Name, PreviousRevision = state.Revision, Revision = state.Revision, DryRun = command.DryRun };
        if (diff.All(d => d.Unchanged is not null))
        {
            new WriteAnswer(response, _options.MaxMessageBytes).AddAll(diff.Select(d => d.Unchanged!));
            return new WriteOutcome(response, null);
        }

        var snapshot = command.Urgent && state.Snapshot is { } previous && diff.All(p => p.Unchanged is not null || (p.Live is not null && !p.Archive && p.Edit.Flag is not null))
            ? DocumentCodec.CompileChangedFlags(previous, diff.Where(p => p.Unchanged is null).Select(p => p.Edit.Flag!).ToList(), state.Revision + 1)
            : Validate(state, diff, state.Revision + 1);
        cancellationToken.ThrowIfCancellationRequested();
        var write = Describe(command, state, diff, snapshot, response, idempotencyKey, fingerprint, options.Comment);
        return command.DryRun ? new WriteOutcome(write.Response, null) : new WriteOutcome(null, write);
    }

    /// <summary>"flag" or "segment".</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The word.</returns>
    public static string KindName(DocumentKind kind) => kind == DocumentKind.Segment ? "segment" : "flag";

    private WriteResponse? Replay(EnvironmentState state, string? idempotencyKey, byte[] fingerprint)
    {
        if (idempotencyKey is null)
        {
            return null;
        }

        if (idempotencyKey.Length > IdempotencyKeyMaxLength)
        {
            throw WriteRefusedException.Invalid($"The idempotency key is longer than {IdempotencyKeyMaxLength} characters.");
        }

        if (_db.FindIdempotent(state.Record.Id, idempotencyKey) is not { } earlier)
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(earlier.RequestHash, fingerprint))
        {
            throw WriteRefusedException.Conflict($"Idempotency key '{idempotencyKey}' was already used for a different request in environment '{state.Name}'.");
        }

        var replay = WriteResponse.Parser.ParseFrom(earlier.Response);
        replay.Replayed = true;
        return replay;
    }

    /// <summary>Each document at most once, and the environment's flag limit — both before any document is serialized or compiled.</summary>
    private void CheckBounds(EnvironmentState state, IReadOnlyList<DocumentEdit> edits)
    {
        var seen = new HashSet<(DocumentKind, string)>();
        var flags = state.LiveFlagCount;
        foreach (var edit in edits)
        {
            if (!seen.Add((edit.Kind, edit.Key)))
            {
                throw WriteRefusedException.Invalid($"{KindName(edit.Kind)} '{edit.Key}' appears more than once in one write.");
            }

            if (edit.Kind == DocumentKind.Flag)
            {
                var live = state.Find(DocumentKind.Flag, edit.Key) is { IsLive: true };
                flags += edit.IsArchive ? (live ? -1 : 0) : (live ? 0 : 1);
            }
        }

        if (flags > _options.MaxFlagsPerEnvironment && flags > state.LiveFlagCount)
        {
            throw WriteRefusedException.LimitExceeded(
                $"Environment '{state.Name}' would have {flags} live flags; the limit is {_options.MaxFlagsPerEnvironment} " +
                $"({FlagServerOptions.SectionName}:{nameof(FlagServerOptions.MaxFlagsPerEnvironment)}). Nothing was changed.");
        }
    }

    /// <summary>Which edits change something; the new bytes of each, checked against the document size limit.</summary>
    private List<PendingEdit> Diff(EnvironmentState state, IReadOnlyList<DocumentEdit> edits, CancellationToken cancellationToken)
    {
        var pending = new List<PendingEdit>(edits.Count);
        for (var i = 0; i < edits.Count; i++)
        {
            if ((i & 63) == 63)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var edit = edits[i];
            var existing = state.Find(edit.Kind, edit.Key);
            var live = existing is { IsLive: true } ? existing : null;
            if (edit.IsArchive)
            {
                pending.Add(live is null
                    ? PendingEdit.Same(edit, "not live")
                    : new PendingEdit(edit, live, null, true, null));
                continue;
            }

            var previousVersion = existing?.Stored.Version ?? 0;
            if (live is not null && TrySerialize(edit, previousVersion) is { } same && same.AsSpan().SequenceEqual(live.Stored.Json))
            {
                pending.Add(PendingEdit.Same(edit, "no change"));
                continue;
            }

            // Null when a number cannot be written (NaN, ±∞): the compiler refuses that document with its path next.
            var json = TrySerialize(edit, previousVersion + 1);
            if (json is not null && json.Length > _options.MaxDocumentBytes)
            {
                throw WriteRefusedException.Invalid(
                    $"{KindName(edit.Kind)} '{edit.Key}' is {json.Length} bytes; the limit is {_options.MaxDocumentBytes} (FlagKit:Server:MaxDocumentBytes).");
            }

            pending.Add(new PendingEdit(edit, live, json, false, null));
        }

        return pending;
    }

    /// <summary>
    /// The SDK's strict compiler over the environment as it would be: the documents the write changes and those that
    /// depend on them are compiled against the last snapshot (<see cref="StrictDelta"/>); when that finds a problem, or
    /// there is no snapshot to start from, the whole environment is built, which gives every error with its JSON path.
    /// </summary>
    private static FlagSnapshot Validate(EnvironmentState state, List<PendingEdit> diff, long revision) =>
        state.Snapshot is { } previous && Incremental(previous, diff, revision) is { } next ? next : ValidateAll(state, diff, revision);

    // The write's changes as a delta of the last snapshot; null when a strict build would refuse them.
    private static FlagSnapshot? Incremental(FlagSnapshot previous, List<PendingEdit> diff, long revision)
    {
        var flags = new List<FlagDocument>();
        var segments = new List<SegmentDocument>();
        var removedFlags = new List<string>();
        var removedSegments = new List<string>();
        foreach (var p in diff)
        {
            if (p.Unchanged is not null)
            {
                continue;
            }

            var segment = p.Edit.Kind == DocumentKind.Segment;
            if (p.Archive)
            {
                (segment ? removedSegments : removedFlags).Add(p.Edit.Key);
            }
            else if (segment)
            {
                segments.Add(p.Edit.Segment!);
            }
            else
            {
                flags.Add(p.Edit.Flag!);
            }
        }

        return StrictDelta.TryApply(previous, revision, flags, segments, removedFlags, removedSegments);
    }

    /// <summary>The strict build of the whole environment as it would be: every error, with its JSON path.</summary>
    private static FlagSnapshot ValidateAll(EnvironmentState state, List<PendingEdit> diff, long revision)
    {
        var flags = state.LiveFlags.ToDictionary(e => e.Stored.Key, e => e.Flag!, StringComparer.Ordinal);
        var segments = state.LiveSegments.ToDictionary(e => e.Stored.Key, e => e.Segment!, StringComparer.Ordinal);
        foreach (var p in diff.Where(p => p.Unchanged is null))
        {
            if (p.Edit.Kind == DocumentKind.Segment)
            {
                Overlay(segments, p.Edit.Key, p.Archive ? null : p.Edit.Segment);
            }
            else
            {
                Overlay(flags, p.Edit.Key, p.Archive ? null : p.Edit.Flag);
            }
        }

        var candidate = new FlagFile
        {
            Schema = FlagFile.CurrentSchema,
            Flags = flags.Values.OrderBy(f => f.Key, StringComparer.Ordinal).ToList(),
            Segments = segments.Values.OrderBy(s => s.Key, StringComparer.Ordinal).ToList(),
        };
        return DocumentCodec.Compile(candidate, revision);
    }

    private static void Overlay<T>(Dictionary<string, T> documents, string key, T? document)
        where T : class
    {
        if (document is null)
        {
            documents.Remove(key);
        }
        else
        {
            documents[key] = document;
        }
    }

    /// <summary>The rows to store, the change to publish, the next state and the answer (summaries always, documents within budget).</summary>
    private PreparedWrite Describe(
        WriteCommand command, EnvironmentState state, List<PendingEdit> diff, FlagSnapshot snapshot, WriteResponse response,
        string? idempotencyKey, byte[] fingerprint, string comment)
    {
        var now = _time.GetUtcNow();
        var revision = state.Revision + 1;
        var actor = command.Caller.Actor;
        // O(change): the next state shares every entry the write does not touch, and carries the live flag count
        // and the content digest forward instead of counting and hashing the environment again.
        var flags = state.FlagMap.ToBuilder();
        var segments = state.SegmentMap.ToBuilder();
        var liveFlags = state.LiveFlagCount;
        var digest = state.Digest;
        var stored = new List<StoredDocument>();
        var history = new List<HistoryRecord>();
        var upserts = new List<Document>();
        var removed = new List<DocumentRef>();
        var killed = new HashSet<string>(StringComparer.Ordinal);
        var changes = new List<Change>(diff.Count);
        foreach (var p in diff)
        {
            if (p.Unchanged is { } same)
            {
                changes.Add(same);
                continue;
            }

            var edit = p.Edit;
            var live = p.Live;
            StoredDocument doc;
            Change change;
            if (p.Archive)
            {
                doc = live!.Stored with { Archived = true, Revision = revision, UpdatedAt = now, UpdatedBy = actor };
                removed.Add(new DocumentRef { Kind = edit.Kind, Key = edit.Key });
                change = new Change { Kind = edit.Kind, Key = edit.Key, Action = "archived", BeforeJson = UnsafeByteOperations.UnsafeWrap(live.Stored.Json), Summary = "archived" };
                (edit.Kind == DocumentKind.Segment ? segments : flags)[edit.Key] = new DocumentEntry(doc);
                digest -= live.Digest;
                liveFlags -= edit.Kind == DocumentKind.Flag ? 1 : 0;
            }
            else
            {
                var json = p.Json ?? throw WriteRefusedException.Invalid($"{KindName(edit.Kind)} '{edit.Key}' holds a number that is not finite.");
                doc = new StoredDocument(edit.Kind, edit.Key, json, (state.Find(edit.Kind, edit.Key)?.Stored.Version ?? 0) + 1, revision, now, actor, false);
                change = Describe(edit, live, new DocumentEntry(doc), json, upserts, killed, out var entry);
                (edit.Kind == DocumentKind.Segment ? segments : flags)[edit.Key] = entry;
                digest = digest - (live?.Digest ?? ContentDigest.Empty) + entry.Digest;
                liveFlags += live is null && edit.Kind == DocumentKind.Flag ? 1 : 0;
            }

            stored.Add(doc);
            changes.Add(change);
            history.Add(new HistoryRecord(
                revision, edit.Kind, edit.Key, change.Action, actor, comment, now, live?.Stored.Json, p.Archive ? null : doc.Json, change.Summary, command.Operation));
        }

        response.Revision = command.DryRun ? state.Revision : revision;
        new WriteAnswer(response, _options.MaxMessageBytes).AddAll(changes);
        var hash = digest.ToHex();
        var next = new EnvironmentState(state.Record with { Revision = revision }, hash, flags.ToImmutable(), segments.ToImmutable(), snapshot, liveFlags, digest);
        return new PreparedWrite(state, next, response, stored, history, new RevisionChange(revision, hash, upserts, removed, killed),
            idempotencyKey, fingerprint, now);
    }

    private static Change Describe(DocumentEdit edit, DocumentEntry? live, DocumentEntry entry, byte[] json, List<Document> upserts, HashSet<string> killed, out DocumentEntry result)
    {
        result = entry;
        upserts.Add(entry.Wire);
        if (entry.Flag is { Killed: true } && live?.Flag is not { Killed: true })
        {
            killed.Add(edit.Key);
        }

        var summary = edit.Kind == DocumentKind.Flag
            ? live is null ? ChangeSummary.Created(entry.Flag!) : ChangeSummary.Updated(live.Flag!, entry.Flag!)
            : live is null ? ChangeSummary.Created(entry.Segment!) : ChangeSummary.Updated(live.Segment!, entry.Segment!);
        var change = new Change { Kind = edit.Kind, Key = edit.Key, Action = live is null ? "created" : "updated", AfterJson = UnsafeByteOperations.UnsafeWrap(json), Summary = summary };
        if (live is not null)
        {
            change.BeforeJson = UnsafeByteOperations.UnsafeWrap(live.Stored.Json);
        }

        return change;
    }

    private static byte[]? TrySerialize(DocumentEdit edit, long version)
    {
        try
        {
            if (edit.Flag is { } flag)
            {
                flag.Version = version;
                return DocumentCodec.Serialize(flag);
            }

            edit.Segment!.Version = version;
            return DocumentCodec.Serialize(edit.Segment);
        }
        catch (ArgumentException)
        {
            // Utf8JsonWriter refuses NaN and ±∞; the document is invalid and the compiler says where.
            return null;
        }
    }

    /// <summary>The hash an idempotent retry must match: the RPC name and the request's bytes.</summary>
    /// <param name="command">The write.</param>
    /// <returns>SHA-256.</returns>
    public static byte[] Fingerprint(WriteCommand command)
    {
        var action = Encoding.UTF8.GetBytes(command.Action + "\n");
        var body = command.Request.ToByteArray();
        return SHA256.HashData([.. action, .. body]);
    }
}
