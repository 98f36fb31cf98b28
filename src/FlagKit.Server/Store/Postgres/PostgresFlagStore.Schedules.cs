using Npgsql;
using NpgsqlTypes;

namespace FlagKit.Server.Store.Postgres;

/// <content>
/// Scheduled changes. Several replicas share the table: a claim locks the earliest due row with
/// <c>FOR UPDATE SKIP LOCKED</c> and marks it claimed in the same statement, so each row is claimed by one replica.
/// </content>
internal sealed partial class PostgresFlagStore : IScheduleStore
{
    /// <inheritdoc />
    public ScheduledChangeRecord AddSchedule(ScheduledChangeRecord change, AuditRecord audit)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        using var cmd = Command(c, $"""
            INSERT INTO schedules (environment, rpc, request, target, description, key_id, key_name, actor, base_revision, due_at,
                not_before, created_at, state, claimed_until, note, applied_revision, finished_at)
            VALUES (@env, @rpc, @req, @tg, @descr, @kid, @kname, @actor, @base, @due, @nb, @created, '{ScheduleStates.Pending}', NULL, @note, 0, NULL)
            RETURNING id
            """, tx);
        AddValues(cmd, ScheduleRows.ScheduleValues(change));
        var id = (long)cmd.ExecuteScalar()!;
        InsertAudit(c, tx, audit with { Target = $"schedule #{id}" });
        tx.Commit();
        return change with { Id = id, State = ScheduleStates.Pending, AppliedRevision = 0, FinishedAt = null };
    }

    /// <inheritdoc />
    public ScheduledChangeRecord? GetSchedule(long id)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"SELECT {ScheduleRows.ScheduleColumns} FROM schedules WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return StoreRows.ReadAll(cmd, ScheduleRows.Schedule).SingleOrDefault();
    }

    /// <inheritdoc />
    public IReadOnlyList<ScheduledChangeRecord> ListSchedules(string? environment, bool includeFinished, int limit)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"""
            SELECT {ScheduleRows.ScheduleColumns} FROM schedules
            WHERE (@env::text IS NULL OR environment = @env::text) AND (@all OR state IN ('{ScheduleStates.Pending}', '{ScheduleStates.Claimed}'))
            {ScheduleRows.ListOrder} LIMIT @limit
            """);
        cmd.Parameters.Add(new NpgsqlParameter("env", NpgsqlDbType.Text) { Value = (object?)environment ?? DBNull.Value });
        cmd.Parameters.AddWithValue("all", includeFinished);
        cmd.Parameters.AddWithValue("limit", limit);
        return StoreRows.ReadAll(cmd, ScheduleRows.Schedule);
    }

    /// <inheritdoc />
    public bool ReplacePendingSchedule(ScheduledChangeRecord change, AuditRecord audit) => WriteScheduleRow($"""
        UPDATE schedules SET rpc = @rpc, request = @req, target = @tg, description = @descr, base_revision = @base, due_at = @due,
            not_before = @nb, note = @note
        WHERE id = @id AND state = '{ScheduleStates.Pending}' AND environment = @env
        """, cmd =>
        {
            AddValues(cmd, ScheduleRows.ScheduleValues(change).Where(v => v.Name is not ("kid" or "kname" or "actor" or "created")));
            cmd.Parameters.AddWithValue("id", change.Id);
        }, audit);

    /// <inheritdoc />
    public bool CancelSchedule(long id, AuditRecord audit) => WriteScheduleRow($"""
        UPDATE schedules SET state = '{ScheduleStates.Cancelled}', finished_at = @t, claimed_until = NULL
        WHERE id = @id AND state = '{ScheduleStates.Pending}'
        """, cmd =>
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("t", audit.Time.ToUnixTimeMilliseconds());
        }, audit);

    /// <inheritdoc />
    public ScheduledChangeRecord? ClaimDueSchedule(DateTimeOffset now, TimeSpan lease)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"""
            UPDATE schedules SET state = '{ScheduleStates.Claimed}', claimed_until = @until
            WHERE id = (SELECT id FROM schedules
                WHERE (state = '{ScheduleStates.Pending}' AND not_before <= @now) OR (state = '{ScheduleStates.Claimed}' AND claimed_until <= @now)
                ORDER BY not_before, id LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING {ScheduleRows.ScheduleColumns}
            """);
        cmd.Parameters.AddWithValue("now", now.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("until", (now + lease).ToUnixTimeMilliseconds());
        return StoreRows.ReadAll(cmd, ScheduleRows.Schedule).SingleOrDefault();
    }

    /// <inheritdoc />
    public bool FinishSchedule(long id, string state, string note, long appliedRevision, DateTimeOffset at, AuditRecord? audit) => WriteScheduleRow($"""
        UPDATE schedules SET state = @state, note = @note, applied_revision = @rev, finished_at = @t, claimed_until = NULL
        WHERE id = @id AND state = '{ScheduleStates.Claimed}'
        """, cmd =>
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("state", state);
            cmd.Parameters.AddWithValue("note", note);
            cmd.Parameters.AddWithValue("rev", appliedRevision);
            cmd.Parameters.AddWithValue("t", at.ToUnixTimeMilliseconds());
        }, audit);

    /// <inheritdoc />
    public bool DeferSchedule(long id, DateTimeOffset notBefore, string note) => WriteScheduleRow($"""
        UPDATE schedules SET state = '{ScheduleStates.Pending}', not_before = @nb, note = @note, claimed_until = NULL
        WHERE id = @id AND state = '{ScheduleStates.Claimed}'
        """, cmd =>
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("nb", notBefore.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("note", note);
        }, null);

    /// <summary>One guarded statement on one row and, when it matched, its audit row: one transaction.</summary>
    private bool WriteScheduleRow(string sql, Action<NpgsqlCommand> parameters, AuditRecord? audit)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        using var cmd = Command(c, sql, tx);
        parameters(cmd);
        if (cmd.ExecuteNonQuery() != 1)
        {
            return false;
        }

        if (audit is not null)
        {
            InsertAudit(c, tx, audit);
        }

        tx.Commit();
        return true;
    }

    private static void AddValues(NpgsqlCommand cmd, IEnumerable<(string Name, object Value)> values)
    {
        foreach (var (name, value) in values)
        {
            cmd.Parameters.Add(value is DBNull
                ? new NpgsqlParameter(name, NpgsqlDbType.Bigint) { Value = DBNull.Value }
                : new NpgsqlParameter(name, value));
        }
    }
}
