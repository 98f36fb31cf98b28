using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Store;

/// <content>The store's guarded releases and their event logs (<see cref="IReleaseStore"/>).</content>
internal sealed partial class FlagDatabase
{
    /// <inheritdoc />
    public StoredRelease CreateRelease(StoredRelease release, ReleaseEventRecord started)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using (var active = Command(_writer, "SELECT id FROM releases WHERE env_id = $e AND flag = $f AND active = 1", tx))
            {
                active.Parameters.AddWithValue("$e", release.EnvironmentId);
                active.Parameters.AddWithValue("$f", release.Flag);
                if (active.ExecuteScalar() is long existing)
                {
                    throw new ReleaseAlreadyActiveException(release.Flag, existing);
                }
            }

            using var cmd = Command(_writer, """
                INSERT INTO releases (env_id, flag, status, active, state_json, created_by, created_at, updated_at)
                VALUES ($e, $f, $s, 1, $j, $by, $t, $t) RETURNING id
                """, tx);
            cmd.Parameters.AddWithValue("$e", release.EnvironmentId);
            cmd.Parameters.AddWithValue("$f", release.Flag);
            cmd.Parameters.AddWithValue("$s", release.Status);
            cmd.Parameters.AddWithValue("$j", release.StateJson);
            cmd.Parameters.AddWithValue("$by", release.CreatedBy);
            cmd.Parameters.AddWithValue("$t", release.CreatedAt.ToUnixTimeMilliseconds());
            var id = (long)cmd.ExecuteScalar()!;
            InsertReleaseEvent(tx, id, started);
            tx.Commit();
            return release with { Id = id, Active = true, UpdatedAt = release.CreatedAt };
        }
    }

    /// <inheritdoc />
    public void SaveRelease(long id, string status, bool active, string stateJson, DateTimeOffset updatedAt, ReleaseEventRecord? appended)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var cmd = Command(_writer, "UPDATE releases SET status = $s, active = $a, state_json = $j, updated_at = $t WHERE id = $id", tx);
            cmd.Parameters.AddWithValue("$s", status);
            cmd.Parameters.AddWithValue("$a", active ? 1 : 0);
            cmd.Parameters.AddWithValue("$j", stateJson);
            cmd.Parameters.AddWithValue("$t", updatedAt.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$id", id);
            if (cmd.ExecuteNonQuery() == 0)
            {
                throw new KeyNotFoundException($"No release has the id {id}.");
            }

            if (appended is not null)
            {
                InsertReleaseEvent(tx, id, appended);
            }

            tx.Commit();
        }
    }

    /// <inheritdoc />
    public StoredRelease? GetRelease(long id)
    {
        using var c = OpenReader();
        using var cmd = Command(c, $"SELECT {ReleaseRows.Columns} FROM releases WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        return StoreRows.ReadAll(cmd, ReleaseRows.Release).SingleOrDefault();
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredRelease> LoadActiveReleases()
    {
        using var c = OpenReader();
        using var cmd = Command(c, $"SELECT {ReleaseRows.Columns} FROM releases WHERE active = 1 ORDER BY id");
        return StoreRows.ReadAll(cmd, ReleaseRows.Release);
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredRelease> ListReleases(long environmentId, string? flag, int limit)
    {
        using var c = OpenReader();
        using var cmd = Command(c, $"SELECT {ReleaseRows.Columns} FROM releases WHERE env_id = $e AND ($f IS NULL OR flag = $f) ORDER BY id DESC LIMIT $limit");
        cmd.Parameters.AddWithValue("$e", environmentId);
        cmd.Parameters.AddWithValue("$f", (object?)flag ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", limit);
        return StoreRows.ReadAll(cmd, ReleaseRows.Release);
    }

    /// <inheritdoc />
    public IReadOnlyList<ReleaseEventRecord> GetReleaseEvents(long releaseId, int limit)
    {
        using var c = OpenReader();
        using var cmd = Command(c, $"SELECT {ReleaseRows.EventColumns} FROM (SELECT * FROM release_events WHERE release_id = $id ORDER BY seq DESC LIMIT $limit) ORDER BY seq");
        cmd.Parameters.AddWithValue("$id", releaseId);
        cmd.Parameters.AddWithValue("$limit", limit);
        return StoreRows.ReadAll(cmd, ReleaseRows.Event);
    }

    private void InsertReleaseEvent(SqliteTransaction tx, long releaseId, ReleaseEventRecord e)
    {
        using var cmd = Command(_writer, """
            INSERT INTO release_events (release_id, seq, time, kind, actor, percent, summary)
            VALUES ($id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM release_events WHERE release_id = $id), $t, $k, $a, $p, $s)
            """, tx);
        cmd.Parameters.AddWithValue("$id", releaseId);
        cmd.Parameters.AddWithValue("$t", e.Time.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$k", e.Kind);
        cmd.Parameters.AddWithValue("$a", e.Actor);
        cmd.Parameters.AddWithValue("$p", e.Percent);
        cmd.Parameters.AddWithValue("$s", e.Summary);
        cmd.ExecuteNonQuery();
    }
}
