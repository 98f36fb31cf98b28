using Npgsql;
using NpgsqlTypes;

namespace FlagKit.Server.Store.Postgres;

/// <content>The store's guarded releases and their event logs (<see cref="IReleaseStore"/>).</content>
internal sealed partial class PostgresFlagStore
{
    /// <inheritdoc />
    public StoredRelease CreateRelease(StoredRelease release, ReleaseEventRecord started)
    {
        long id;
        try
        {
            using var c = _source.OpenConnection();
            using var tx = c.BeginTransaction();
            using var cmd = Command(c, """
                INSERT INTO releases (env_id, flag, status, active, state_json, created_by, created_at, updated_at)
                VALUES (@e, @f, @s, true, @j, @by, @t, @t) RETURNING id
                """, tx);
            cmd.Parameters.AddWithValue("e", release.EnvironmentId);
            cmd.Parameters.AddWithValue("f", release.Flag);
            cmd.Parameters.AddWithValue("s", release.Status);
            cmd.Parameters.AddWithValue("j", release.StateJson);
            cmd.Parameters.AddWithValue("by", release.CreatedBy);
            cmd.Parameters.AddWithValue("t", release.CreatedAt.ToUnixTimeMilliseconds());
            id = (long)cmd.ExecuteScalar()!;
            InsertReleaseEvent(c, tx, id, started);
            tx.Commit();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "releases_one_active")
        {
            // The partial unique index decides between replicas racing to start a release of the same flag.
            var existing = ListReleases(release.EnvironmentId, release.Flag, 1).FirstOrDefault(r => r.Active)?.Id ?? 0;
            throw new ReleaseAlreadyActiveException(release.Flag, existing);
        }

        return release with { Id = id, Active = true, UpdatedAt = release.CreatedAt };
    }

    /// <inheritdoc />
    public void SaveRelease(long id, string status, bool active, string stateJson, DateTimeOffset updatedAt, ReleaseEventRecord? appended)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        using var cmd = Command(c, "UPDATE releases SET status = @s, active = @a, state_json = @j, updated_at = @t WHERE id = @id", tx);
        cmd.Parameters.AddWithValue("s", status);
        cmd.Parameters.AddWithValue("a", active);
        cmd.Parameters.AddWithValue("j", stateJson);
        cmd.Parameters.AddWithValue("t", updatedAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("id", id);
        if (cmd.ExecuteNonQuery() == 0)
        {
            throw new KeyNotFoundException($"No release has the id {id}.");
        }

        if (appended is not null)
        {
            InsertReleaseEvent(c, tx, id, appended);
        }

        tx.Commit();
    }

    /// <inheritdoc />
    public StoredRelease? GetRelease(long id)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"SELECT {ReleaseRows.Columns} FROM releases WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return StoreRows.ReadAll(cmd, ReleaseRows.Release).SingleOrDefault();
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredRelease> LoadActiveReleases()
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"SELECT {ReleaseRows.Columns} FROM releases WHERE active ORDER BY id");
        return StoreRows.ReadAll(cmd, ReleaseRows.Release);
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredRelease> ListReleases(long environmentId, string? flag, int limit)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"SELECT {ReleaseRows.Columns} FROM releases WHERE env_id = @e AND (@f::text IS NULL OR flag = @f) ORDER BY id DESC LIMIT @limit");
        cmd.Parameters.AddWithValue("e", environmentId);
        cmd.Parameters.Add(new NpgsqlParameter("f", NpgsqlDbType.Text) { Value = (object?)flag ?? DBNull.Value });
        cmd.Parameters.AddWithValue("limit", limit);
        return StoreRows.ReadAll(cmd, ReleaseRows.Release);
    }

    /// <inheritdoc />
    public IReadOnlyList<ReleaseEventRecord> GetReleaseEvents(long releaseId, int limit)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"SELECT {ReleaseRows.EventColumns} FROM (SELECT * FROM release_events WHERE release_id = @id ORDER BY seq DESC LIMIT @limit) AS newest ORDER BY seq");
        cmd.Parameters.AddWithValue("id", releaseId);
        cmd.Parameters.AddWithValue("limit", limit);
        return StoreRows.ReadAll(cmd, ReleaseRows.Event);
    }

    private static void InsertReleaseEvent(NpgsqlConnection c, NpgsqlTransaction tx, long releaseId, ReleaseEventRecord e)
    {
        // The release's row is locked by the caller's INSERT or UPDATE, so seq is taken by one transaction at a time.
        using var cmd = Command(c, """
            INSERT INTO release_events (release_id, seq, time, kind, actor, percent, summary)
            VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM release_events WHERE release_id = @id), @t, @k, @a, @p, @s)
            """, tx);
        cmd.Parameters.AddWithValue("id", releaseId);
        cmd.Parameters.AddWithValue("t", e.Time.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("k", e.Kind);
        cmd.Parameters.AddWithValue("a", e.Actor);
        cmd.Parameters.AddWithValue("p", e.Percent);
        cmd.Parameters.AddWithValue("s", e.Summary);
        cmd.ExecuteNonQuery();
    }
}
