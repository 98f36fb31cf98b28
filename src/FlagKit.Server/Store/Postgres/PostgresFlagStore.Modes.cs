using Npgsql;
using NpgsqlTypes;

namespace FlagKit.Server.Store.Postgres;

/// <content>The store's operating modes (PostgreSQL migration 2: <c>modes</c>, <c>mode_history</c>).</content>
internal sealed partial class PostgresFlagStore
{
    /// <inheritdoc />
    public ModeRecord? LoadModes(long environmentId)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, "SELECT version, json, updated_at, updated_by FROM modes WHERE env_id = @e");
        cmd.Parameters.AddWithValue("e", environmentId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? new ModeRecord(r.GetInt64(0), (byte[])r.GetValue(1), StoreRows.FromMs(r.GetInt64(2)), r.GetString(3)) : null;
    }

    /// <inheritdoc />
    public void CommitModes(ModeCommit commit)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        var next = commit.Next;
        using (var cmd = Command(c, commit.FromVersion == 0
            ? "INSERT INTO modes (env_id, version, json, updated_at, updated_by) VALUES (@e, @v, @j, @t, @by) ON CONFLICT (env_id) DO NOTHING"
            : "UPDATE modes SET version = @v, json = @j, updated_at = @t, updated_by = @by WHERE env_id = @e AND version = @from", tx))
        {
            cmd.Parameters.AddWithValue("e", commit.EnvironmentId);
            cmd.Parameters.AddWithValue("v", next.Version);
            cmd.Parameters.Add(new NpgsqlParameter("j", NpgsqlDbType.Bytea) { Value = next.Json });
            cmd.Parameters.AddWithValue("t", next.UpdatedAt.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("by", next.UpdatedBy);
            cmd.Parameters.AddWithValue("from", commit.FromVersion);
            if (cmd.ExecuteNonQuery() != 1)
            {
                throw new ModeVersionConflictException(commit.EnvironmentId, commit.FromVersion);
            }
        }

        var h = commit.History;
        using (var cmd = Command(c, """
            INSERT INTO mode_history (env_id, version, action, author, comment, time, summary, before_json, after_json)
            VALUES (@e, @v, @a, @au, @c, @t, @s, @b, @af)
            """, tx))
        {
            cmd.Parameters.AddWithValue("e", commit.EnvironmentId);
            cmd.Parameters.AddWithValue("v", h.Version);
            cmd.Parameters.AddWithValue("a", h.Action);
            cmd.Parameters.AddWithValue("au", h.Author);
            cmd.Parameters.AddWithValue("c", h.Comment);
            cmd.Parameters.AddWithValue("t", h.Time.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("s", h.Summary);
            cmd.Parameters.Add(new NpgsqlParameter("b", NpgsqlDbType.Bytea) { Value = (object?)h.Before ?? DBNull.Value });
            cmd.Parameters.Add(new NpgsqlParameter("af", NpgsqlDbType.Bytea) { Value = h.After });
            cmd.ExecuteNonQuery();
        }

        InsertAudit(c, tx, commit.Audit);
        tx.Commit();
        Notify(c, ReplicationChannel.Modes(commit.EnvironmentId, next.Version));
    }

    /// <inheritdoc />
    public IReadOnlyList<ModeHistoryRecord> GetModeHistory(long environmentId, int limit)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, """
            SELECT version, action, author, comment, time, summary, before_json, after_json FROM mode_history
            WHERE env_id = @e ORDER BY version DESC LIMIT @l
            """);
        cmd.Parameters.AddWithValue("e", environmentId);
        cmd.Parameters.AddWithValue("l", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<ModeHistoryRecord>();
        while (r.Read())
        {
            list.Add(new ModeHistoryRecord(
                r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), StoreRows.FromMs(r.GetInt64(4)), r.GetString(5),
                r.IsDBNull(6) ? null : (byte[])r.GetValue(6), (byte[])r.GetValue(7)));
        }

        return list;
    }
}
