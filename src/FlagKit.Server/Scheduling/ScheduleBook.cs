using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Server.Scheduling;

/// <summary>
/// The admin side of scheduled changes: schedule, list, show, change and cancel, each checked before it is stored and
/// audited in the same transaction. Applying them is the <see cref="ScheduleRunner"/>'s.
/// </summary>
/// <remarks>Thread safety: stateless apart from its dependencies; safe to call concurrently.</remarks>
internal sealed class ScheduleBook
{
    /// <summary>How far in the past a due time may be (a clock a little behind); earlier is refused as a mistake.</summary>
    public static readonly TimeSpan PastTolerance = TimeSpan.FromMinutes(1);

    /// <summary>How far ahead a change may be scheduled.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(366);

    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;

    private readonly IScheduleStore _store;
    private readonly EnvironmentCatalog _catalog;
    private readonly FreezeCalendar _freezes;
    private readonly TimeProvider _time;

    /// <summary>Creates the book.</summary>
    /// <param name="store">The store.</param>
    /// <param name="catalog">Environments.</param>
    /// <param name="freezes">Freeze windows (a pending change due inside one says it will wait).</param>
    /// <param name="time">The clock.</param>
    public ScheduleBook(IScheduleStore store, EnvironmentCatalog catalog, FreezeCalendar freezes, TimeProvider time)
    {
        _store = store;
        _catalog = catalog;
        _freezes = freezes;
        _time = time;
    }

    /// <summary>Schedules a write.</summary>
    /// <param name="request">The time and the write.</param>
    /// <param name="caller">Who schedules it (the write will run as this key).</param>
    /// <returns>The stored change.</returns>
    /// <exception cref="WriteRefusedException">Invalid (no time, out of range, bad write), NotFound (environment).</exception>
    public ScheduledChangeInfo Schedule(ScheduleChangeRequest request, CallerIdentity caller)
    {
        var now = _time.GetUtcNow();
        var due = DueAt(request.DueAt, now);
        var write = ScheduledWrite.From(request);
        var state = _catalog.Get(write.Environment);
        var change = new ScheduledChangeRecord(0, state.Name, write.Rpc, write.Request.ToByteArray(), write.Target, write.Description,
            caller.KeyId, caller.KeyName, caller.Actor, state.Revision, due, due, now, ScheduleStates.Pending, "", 0, null);
        var stored = _store.AddSchedule(change, new AuditRecord(
            0, now, caller.Actor, "ScheduleChange", state.Name, "", state.Revision, Detail(change, write.Options().Comment)));
        return Info(stored);
    }

    /// <summary>Scheduled changes.</summary>
    /// <param name="request">Environment, finished ones too, limit.</param>
    /// <returns>The changes.</returns>
    public ScheduleListResponse List(ScheduleListRequest request)
    {
        var environment = string.IsNullOrEmpty(request.Environment) ? null : _catalog.Get(request.Environment).Name;
        var limit = request.Limit <= 0 ? DefaultLimit : Math.Min(request.Limit, MaxLimit);
        var response = new ScheduleListResponse();
        response.Changes.AddRange(_store.ListSchedules(environment, request.IncludeFinished, limit).Select(Info));
        return response;
    }

    /// <summary>One change.</summary>
    /// <param name="id">Its id.</param>
    /// <returns>The change.</returns>
    /// <exception cref="WriteRefusedException">NotFound.</exception>
    public ScheduledChangeInfo Get(long id) => Info(Find(id));

    /// <summary>Changes the time and/or the write of a pending change.</summary>
    /// <param name="request">The id, the new time, the new write.</param>
    /// <param name="caller">Who changes it (audit; the write still runs as the key that scheduled it).</param>
    /// <returns>The change as it is now.</returns>
    /// <exception cref="WriteRefusedException">NotFound, Conflict (not pending), Invalid.</exception>
    public ScheduledChangeInfo Update(ScheduleUpdateRequest request, CallerIdentity caller)
    {
        var now = _time.GetUtcNow();
        var existing = Find(request.Id);
        RequirePending(existing, "changed");
        var due = request.DueAt is null ? existing.DueAt : DueAt(request.DueAt, now);
        var changed = existing with { DueAt = due, NotBefore = due, Note = "" };
        if (request.Change is { WriteCase: not ScheduleChangeRequest.WriteOneofCase.None } replacement)
        {
            var write = ScheduledWrite.From(replacement);
            if (!string.Equals(write.Environment, existing.Environment, StringComparison.Ordinal))
            {
                throw WriteRefusedException.Invalid(
                    $"Scheduled change #{existing.Id} writes environment '{existing.Environment}'; the new write names '{write.Environment}'. Cancel it and schedule a new one.");
            }

            changed = changed with
            {
                Rpc = write.Rpc, Request = write.Request.ToByteArray(), Target = write.Target, Description = write.Description,
                BaseRevision = _catalog.Get(existing.Environment).Revision,
            };
        }

        var audit = new AuditRecord(0, now, caller.Actor, "ScheduleUpdate", existing.Environment, $"schedule #{existing.Id}",
            _catalog.Get(existing.Environment).Revision, Detail(changed, request.Comment));
        if (!_store.ReplacePendingSchedule(changed, audit))
        {
            RequirePending(Find(request.Id), "changed");
        }

        return Get(request.Id);
    }

    /// <summary>Cancels a pending change.</summary>
    /// <param name="request">The id and why.</param>
    /// <param name="caller">Who cancels it.</param>
    /// <returns>The change, cancelled.</returns>
    /// <exception cref="WriteRefusedException">NotFound, Conflict (not pending).</exception>
    public ScheduledChangeInfo Cancel(ScheduleCancelRequest request, CallerIdentity caller)
    {
        var existing = Find(request.Id);
        RequirePending(existing, "cancelled");
        var now = _time.GetUtcNow();
        var audit = new AuditRecord(0, now, caller.Actor, "ScheduleCancel", existing.Environment, $"schedule #{existing.Id}",
            _catalog.Exists(existing.Environment) ? _catalog.Get(existing.Environment).Revision : 0, Detail(existing, request.Comment));
        if (!_store.CancelSchedule(existing.Id, audit))
        {
            RequirePending(Find(request.Id), "cancelled");
        }

        return Get(request.Id);
    }

    /// <summary>A stored change as the API shows it.</summary>
    /// <param name="change">The change.</param>
    /// <returns>The info.</returns>
    public ScheduledChangeInfo Info(ScheduledChangeRecord change)
    {
        var pending = change.State is ScheduleStates.Pending or ScheduleStates.Claimed;
        var info = new ScheduledChangeInfo
        {
            Id = change.Id,
            Environment = change.Environment,
            Rpc = change.Rpc,
            Target = change.Target,
            Description = change.Description,
            DueAt = Timestamp.FromDateTimeOffset(change.DueAt),
            State = change.State switch
            {
                ScheduleStates.Applied => ScheduleState.Applied,
                ScheduleStates.Failed => ScheduleState.Failed,
                ScheduleStates.Skipped => ScheduleState.Skipped,
                ScheduleStates.Cancelled => ScheduleState.Cancelled,
                _ => ScheduleState.Pending,
            },
            CreatedBy = change.Actor,
            CreatedAt = Timestamp.FromDateTimeOffset(change.CreatedAt),
            BaseRevision = change.BaseRevision,
            Note = change.State == ScheduleStates.Claimed ? "being applied" : pending ? PendingNote(change) : change.Note,
            AppliedRevision = change.AppliedRevision,
            Request = ScheduledWrite.ToRequest(change.Rpc, change.Request),
        };
        info.Request.DueAt = info.DueAt;
        if (change.FinishedAt is { } finished)
        {
            info.FinishedAt = Timestamp.FromDateTimeOffset(finished);
        }

        return info;
    }

    /// <summary>A pending change's note: why it waits, or that it will wait for a freeze in force at its time.</summary>
    private string PendingNote(ScheduledChangeRecord change)
    {
        if (change.Note.Length > 0)
        {
            return change.Note;
        }

        var at = change.NotBefore;
        return _freezes.ActiveAt(change.Environment, at) is { } freeze
            ? $"due inside freeze '{freeze.Name}': will wait until {freeze.Format(_freezes.NextEnd(change.Environment, at)!.Value)}"
            : "";
    }

    private ScheduledChangeRecord Find(long id) =>
        _store.GetSchedule(id) ?? throw WriteRefusedException.NotFound($"There is no scheduled change #{id}.");

    private static void RequirePending(ScheduledChangeRecord change, string verb)
    {
        if (change.State != ScheduleStates.Pending)
        {
            var state = change.State == ScheduleStates.Claimed ? "being applied" : change.State;
            throw WriteRefusedException.Conflict($"Scheduled change #{change.Id} is {state}; only a pending change can be {verb}.");
        }
    }

    private static DateTimeOffset DueAt(Timestamp? due, DateTimeOffset now)
    {
        if (due is null)
        {
            throw WriteRefusedException.Invalid("ScheduleChangeRequest.due_at is required: when to apply the change.");
        }

        var at = due.ToDateTimeOffset();
        if (at < now - PastTolerance)
        {
            throw WriteRefusedException.Invalid($"ScheduleChangeRequest.due_at {LocalTimes.Format(at, null)} is in the past (now {LocalTimes.Format(now, null)}).");
        }

        return at <= now + Horizon
            ? at
            : throw WriteRefusedException.Invalid($"ScheduleChangeRequest.due_at {LocalTimes.Format(at, null)} is more than {Horizon.TotalDays} days ahead.");
    }

    private static string Detail(ScheduledChangeRecord change, string comment) =>
        $"{change.Target}: {change.Description}, due {LocalTimes.Format(change.DueAt, null)}" + (string.IsNullOrEmpty(comment) ? "" : " — " + comment);
}
