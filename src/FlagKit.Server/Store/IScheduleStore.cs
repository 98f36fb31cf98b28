namespace FlagKit.Server.Store;

/// <summary>Scheduled changes (<see cref="ScheduledChangeRecord"/>) and their audit rows.</summary>
internal interface IScheduleStore
{
    /// <summary>Stores a new pending change and its audit row (whose target becomes <c>schedule #id</c>), in one transaction.</summary>
    /// <param name="change">The change (its id is ignored).</param>
    /// <param name="audit">The audit row.</param>
    /// <returns>The change with its id.</returns>
    ScheduledChangeRecord AddSchedule(ScheduledChangeRecord change, AuditRecord audit);

    /// <summary>One change.</summary>
    /// <param name="id">Its id.</param>
    /// <returns>The change, or null.</returns>
    ScheduledChangeRecord? GetSchedule(long id);

    /// <summary>Changes, pending and claimed first (by time), then finished ones, newest first.</summary>
    /// <param name="environment">Only this environment (null: all).</param>
    /// <param name="includeFinished">Also applied, failed, skipped and cancelled ones.</param>
    /// <param name="limit">At most this many.</param>
    /// <returns>The changes.</returns>
    IReadOnlyList<ScheduledChangeRecord> ListSchedules(string? environment, bool includeFinished, int limit);

    /// <summary>Replaces the request, time and description of a change that is still pending, and writes the audit row.</summary>
    /// <param name="change">The change as it should be (matched by id).</param>
    /// <param name="audit">The audit row.</param>
    /// <returns>False (nothing written) when it is not pending.</returns>
    bool ReplacePendingSchedule(ScheduledChangeRecord change, AuditRecord audit);

    /// <summary>Cancels a pending change and writes the audit row.</summary>
    /// <param name="id">Its id.</param>
    /// <param name="audit">The audit row (its time is the cancellation's).</param>
    /// <returns>False (nothing written) when it is not pending.</returns>
    bool CancelSchedule(long id, AuditRecord audit);

    /// <summary>
    /// Claims the earliest change that may run at <paramref name="now"/> (pending and past its not-before time, or
    /// claimed by a server whose lease ran out) for <paramref name="lease"/>; several servers never claim the same row.
    /// </summary>
    /// <param name="now">The time.</param>
    /// <param name="lease">How long the claim holds.</param>
    /// <returns>The claimed change (state <c>claimed</c>), or null when none is due.</returns>
    ScheduledChangeRecord? ClaimDueSchedule(DateTimeOffset now, TimeSpan lease);

    /// <summary>Ends a claimed change: applied, failed or skipped, with its note and (when not applied) an audit row.</summary>
    /// <param name="id">Its id.</param>
    /// <param name="state">The final state.</param>
    /// <param name="note">Why / how.</param>
    /// <param name="appliedRevision">The committed revision (0: none).</param>
    /// <param name="at">When.</param>
    /// <param name="audit">The audit row, or null (an applied change's write has its own).</param>
    /// <returns>False when it was not claimed.</returns>
    bool FinishSchedule(long id, string state, string note, long appliedRevision, DateTimeOffset at, AuditRecord? audit);

    /// <summary>Returns a claimed change to pending, to be tried again at <paramref name="notBefore"/> (it waits for a freeze).</summary>
    /// <param name="id">Its id.</param>
    /// <param name="notBefore">When to try again.</param>
    /// <param name="note">Why it waits.</param>
    /// <returns>False when it was not claimed.</returns>
    bool DeferSchedule(long id, DateTimeOffset notBefore, string note);
}
