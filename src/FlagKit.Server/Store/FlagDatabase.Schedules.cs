using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Store;

/// <content>Scheduled changes (one writer: a claim is a single UPDATE under the write lock).</content>
internal sealed partial class FlagDatabase : IScheduleStore
{
    /// <inheritdoc />
    public ScheduledChangeRecord AddSchedule(ScheduledChangeRecord change, AuditRecord audit)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var cmd = Command(_writer, $"""
                INSERT INTO schedules (environment, rpc, request, target, description, key_id, key_name, actor, base_revision, due_at,
                    not_before, created_at, state, claimed_until, note, applied_revision, finished_at)
                VALUES ($env, $rpc, $req, $tg, $descr, $kid, $kname, $actor, $base, $due, $nb, $created, '{ScheduleStates.Pending}', NULL, $note, 0, NULL)
                RETURNING id
                """, tx);
            AddValues(cmd, ScheduleRows.ScheduleValues(change));
            var id = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            InsertAudit(tx, audit with { Target = $"schedule #{id}" });
            tx.Commit();
            return change with { Id = id, State = ScheduleStates.Pending, AppliedRevision = 0, FinishedAt = null };
        }
    }

    /// <inheritdoc />
    public ScheduledChangeRecord? GetSchedule(long id)
    {
        using var c = OpenReader();
        using var cmd = Command(c, $"SELECT {ScheduleRows.ScheduleColumns} FROM schedules WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        return StoreRows.ReadAll(cmd, ScheduleRows.Schedule).SingleOrDefault();
    }

    /// <inheritdoc />
    public IReadOnlyList<ScheduledChangeRecord> ListSchedules(string? environment, bool includeFinished, int limit)
    {
        using var c = OpenReader();
        using var cmd = Command(c, $"""
            SELECT {ScheduleRows.ScheduleColumns} FROM schedules
            WHERE ($env IS NULL OR environment = $env) AND ($all = 1 OR state IN ('{ScheduleStates.Pending}', '{ScheduleStates.Claimed}'))
            {ScheduleRows.ListOrder} LIMIT $limit
            """);
        cmd.Parameters.AddWithValue("$env", (object?)environment ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$all", includeFinished ? 1 : 0);
        cmd.Parameters.AddWithValue("$limit", limit);
        return StoreRows.ReadAll(cmd, ScheduleRows.Schedule);
    }

    /// <inheritdoc />
    public bool ReplacePendingSchedule(ScheduledChangeRecord change, AuditRecord audit) => WriteScheduleRow($"""
        UPDATE schedules SET rpc = $rpc, request = $req, target = $tg, description = $descr, base_revision = $base, due_at = $due,
            not_before = $nb, note = $note
        WHERE id = $id AND state = '{ScheduleStates.Pending}' AND environment = $env
        """, cmd =>
        {
            AddValues(cmd, ScheduleRows.ScheduleValues(change).Where(v => v.Name is not ("kid" or "kname" or "actor" or "created")));
            cmd.Parameters.AddWithValue("$id", change.Id);
        }, audit);

    /// <inheritdoc />
    public bool CancelSchedule(long id, AuditRecord audit) => WriteScheduleRow($"""
        UPDATE schedules SET state = '{ScheduleStates.Cancelled}', finished_at = $t, claimed_until = NULL
        WHERE id = $id AND state = '{ScheduleStates.Pending}'
        """, cmd =>
        {
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$t", audit.Time.ToUnixTimeMilliseconds());
        }, audit);

    /// <inheritdoc />
    public ScheduledChangeRecord? ClaimDueSchedule(DateTimeOffset now, TimeSpan lease)
    {
        // Polled twice a second: look on a reader first, so that an idle poll never takes the writer a commit needs.
        using (var reader = OpenReader())
        using (var due = Command(reader, $"""
            SELECT EXISTS (SELECT 1 FROM schedules
                WHERE (state = '{ScheduleStates.Pending}' AND not_before <= $now) OR (state = '{ScheduleStates.Claimed}' AND claimed_until <= $now))
            """))
        {
            due.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            if (Convert.ToInt64(due.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return null;
            }
        }

        lock (_writeLock)
        {
            using var cmd = Command(_writer, $"""
                UPDATE schedules SET state = '{ScheduleStates.Claimed}', claimed_until = $until
                WHERE id = (SELECT id FROM schedules
                    WHERE (state = '{ScheduleStates.Pending}' AND not_before <= $now) OR (state = '{ScheduleStates.Claimed}' AND claimed_until <= $now)
                    ORDER BY not_before, id LIMIT 1)
                RETURNING {ScheduleRows.ScheduleColumns}
                """);
            cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$until", (now + lease).ToUnixTimeMilliseconds());
            return StoreRows.ReadAll(cmd, ScheduleRows.Schedule).SingleOrDefault();
        }
    }

    /// <inheritdoc />
    public bool FinishSchedule(long id, string state, string note, long appliedRevision, DateTimeOffset at, AuditRecord? audit) => WriteScheduleRow($"""
        UPDATE schedules SET state = $state, note = $note, applied_revision = $rev, finished_at = $t, claimed_until = NULL
        WHERE id = $id AND state = '{ScheduleStates.Claimed}'
        """, cmd =>
        {
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$state", state);
            cmd.Parameters.AddWithValue("$note", note);
            cmd.Parameters.AddWithValue("$rev", appliedRevision);
            cmd.Parameters.AddWithValue("$t", at.ToUnixTimeMilliseconds());
        }, audit);

    /// <inheritdoc />
    public bool DeferSchedule(long id, DateTimeOffset notBefore, string note) => WriteScheduleRow($"""
        UPDATE schedules SET state = '{ScheduleStates.Pending}', not_before = $nb, note = $note, claimed_until = NULL
        WHERE id = $id AND state = '{ScheduleStates.Claimed}'
        """, cmd =>
        {
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$nb", notBefore.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$note", note);
        }, null);

    /// <summary>One guarded UPDATE of one row and, when it matched, its audit row: one transaction.</summary>
    private bool WriteScheduleRow(string sql, Action<SqliteCommand> parameters, AuditRecord? audit)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var cmd = Command(_writer, sql, tx);
            parameters(cmd);
            if (cmd.ExecuteNonQuery() != 1)
            {
                return false;
            }

            if (audit is not null)
            {
                InsertAudit(tx, audit);
            }

            tx.Commit();
            return true;
        }
    }

    private static void AddValues(SqliteCommand cmd, IEnumerable<(string Name, object Value)> values)
    {
        foreach (var (name, value) in values)
        {
            cmd.Parameters.AddWithValue("$" + name, value);
        }
    }
}
