using System.Globalization;
using FlagKit.Protocol.V1;
using Npgsql;
using NpgsqlTypes;

namespace FlagKit.Server.Store.Postgres;

/// <summary>
/// The store on PostgreSQL (Npgsql), for several server replicas on one database. What SQLite's single writer gave
/// for free, the database enforces here: the revision is taken inside the write's transaction by a conditional
/// <c>UPDATE ... WHERE revision = expected RETURNING revision</c> (the row lock makes writers to one environment take
/// turns; a write computed against an older revision is refused), idempotency keys are unique per environment (a
/// primary key; a concurrent duplicate resolves to the stored answer), history and audit rows refuse UPDATE, DELETE
/// and TRUNCATE (triggers).
/// </summary>
/// <remarks>
/// <para>No sequence hands out revisions: a sequence number is taken before commit and never given back, so revision
/// order would not be commit order.</para>
/// <para>Thread safety: all members are safe to call concurrently; each call takes a pooled connection.</para>
/// </remarks>
internal sealed partial class PostgresFlagStore : IFlagStore
{
    private const string MigrationLock = "SELECT pg_advisory_xact_lock(7242019517)";

    private readonly NpgsqlDataSource _source;
    private readonly string _connectionString;

    private PostgresFlagStore(NpgsqlDataSource source, string location, string connectionString)
    {
        _source = source;
        Location = location;
        _connectionString = connectionString;
    }

    /// <summary>The schema version this server writes (the highest PostgreSQL migration it knows).</summary>
    public static int CurrentSchemaVersion => PostgresMigrations.All[^1].Version;

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>Connects and applies pending migrations (once across replicas starting together).</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="now">The time recorded for applied migrations.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="InvalidOperationException">The database was migrated by a newer server.</exception>
    /// <exception cref="NpgsqlException">The database cannot be reached.</exception>
    public static PostgresFlagStore Open(string connectionString, DateTimeOffset now)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var location = $"postgres://{builder.Host}:{builder.Port}/{builder.Database}";
        var store = new PostgresFlagStore(NpgsqlDataSource.Create(builder), location, builder.ConnectionString);
        try
        {
            store.Migrate(now);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public int ReadSchemaVersion()
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public bool Ping()
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, "SELECT 1");
        return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) == 1;
    }

    /// <inheritdoc />
    public void Dispose() => _source.Dispose();

    // ---- documents ------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public IReadOnlyList<EnvironmentRecord> LoadEnvironments()
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, "SELECT id, name, revision, created_at FROM environments ORDER BY name");
        return StoreRows.ReadAll(cmd, StoreRows.Environment);
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredDocument> LoadDocuments(long environmentId)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, "SELECT kind, key, json, version, revision, updated_at, updated_by, archived FROM documents WHERE env_id = @e");
        cmd.Parameters.AddWithValue("e", environmentId);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredDocument>();
        while (r.Read())
        {
            list.Add(new StoredDocument(
                (DocumentKind)r.GetInt32(0), r.GetString(1), (byte[])r.GetValue(2), r.GetInt64(3), r.GetInt64(4),
                StoreRows.FromMs(r.GetInt64(5)), r.GetString(6), r.GetBoolean(7)));
        }

        return list;
    }

    /// <inheritdoc />
    public EnvironmentRecord CreateEnvironment(string name, AuditRecord audit)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        using var cmd = Command(c, "INSERT INTO environments (name, revision, created_at) VALUES (@n, 0, @t) RETURNING id", tx);
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("t", audit.Time.ToUnixTimeMilliseconds());
        var id = Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        InsertAudit(c, tx, audit);
        tx.Commit();
        Notify(c, ReplicationChannel.Environment(id));
        return new EnvironmentRecord(id, name, 0, audit.Time);
    }

    /// <inheritdoc />
    public void Commit(CommitBatch batch, DateTimeOffset idempotencyCutoff)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        TakeRevision(c, tx, batch);
        WriteDocuments(c, tx, batch);
        WriteHistory(c, tx, batch);
        InsertAudit(c, tx, batch.Audit);
        using (var prune = Command(c, "DELETE FROM idempotency WHERE created_at < @cut", tx))
        {
            prune.Parameters.AddWithValue("cut", idempotencyCutoff.ToUnixTimeMilliseconds());
            prune.ExecuteNonQuery();
        }

        if (batch.IdempotencyKey is { } idem && batch.Answer is { } answer && !InsertIdempotent(c, tx, batch.EnvironmentId, idem, answer, batch.Audit.Time))
        {
            tx.Rollback();
            throw new IdempotencyKeyTakenException(idem, FindIdempotent(batch.EnvironmentId, idem)!);
        }

        tx.Commit();
        Notify(c, ReplicationChannel.Revision(batch.EnvironmentId, batch.ToRevision));
    }

    // ---- history and audit ----------------------------------------------------------------------------------

    /// <inheritdoc />
    public IReadOnlyList<HistoryRecord> GetHistory(long environmentId, string? key, int limit, long beforeRevision)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"""
            SELECT {StoreHistorySql.Columns} FROM history h
            WHERE h.env_id = @e AND (@key::text IS NULL OR h.key = @key) AND (@before = 0 OR h.revision < @before)
            ORDER BY h.revision DESC, h.seq DESC LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("e", environmentId);
        cmd.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Text) { Value = (object?)key ?? DBNull.Value });
        cmd.Parameters.AddWithValue("before", beforeRevision);
        cmd.Parameters.AddWithValue("limit", limit);
        return StoreRows.ReadAll(cmd, StoreRows.History);
    }

    /// <inheritdoc />
    public IReadOnlyList<HistoryRecord> GetStateAt(long environmentId, long revision)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"""
            SELECT {StoreHistorySql.Columns} FROM (
                SELECT DISTINCT ON (kind, key) * FROM history WHERE env_id = @e AND revision <= @r
                ORDER BY kind, key, revision DESC, seq DESC) AS h
            """);
        cmd.Parameters.AddWithValue("e", environmentId);
        cmd.Parameters.AddWithValue("r", revision);
        return StoreRows.ReadAll(cmd, StoreRows.History);
    }

    /// <inheritdoc />
    public IReadOnlyList<AuditRecord> GetAudit(string environment, int limit)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, """
            SELECT id, time, actor, action, environment, target, revision, detail FROM audit
            WHERE (@env = '' OR environment = @env) ORDER BY id DESC LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("env", environment);
        cmd.Parameters.AddWithValue("limit", limit);
        return StoreRows.ReadAll(cmd, StoreRows.Audit);
    }

    // ---- idempotency ----------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void StoreIdempotent(long environmentId, string key, IdempotentAnswer answer, DateTimeOffset now)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        _ = InsertIdempotent(c, tx, environmentId, key, answer, now);
        tx.Commit();
    }

    /// <inheritdoc />
    public IdempotentAnswer? FindIdempotent(long environmentId, string key)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, "SELECT request_hash, response FROM idempotency WHERE env_id = @e AND idem_key = @k");
        cmd.Parameters.AddWithValue("e", environmentId);
        cmd.Parameters.AddWithValue("k", key);
        using var r = cmd.ExecuteReader();
        return r.Read() ? new IdempotentAnswer((byte[])r.GetValue(0), (byte[])r.GetValue(1)) : null;
    }

    // ---- API keys -------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public IReadOnlyList<ApiKeyRecord> LoadApiKeys()
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, "SELECT id, name, role, environment, hash, prefix, created_at, revoked_at FROM api_keys ORDER BY created_at, id");
        return StoreRows.ReadAll(cmd, StoreRows.ApiKey);
    }

    /// <inheritdoc />
    public void InsertApiKey(ApiKeyRecord key, AuditRecord audit)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        using var cmd = Command(c, """
            INSERT INTO api_keys (id, name, role, environment, hash, prefix, created_at, revoked_at)
            VALUES (@id, @n, @r, @e, @h, @p, @t, NULL)
            """, tx);
        cmd.Parameters.AddWithValue("id", key.Id);
        cmd.Parameters.AddWithValue("n", key.Name);
        cmd.Parameters.AddWithValue("r", (int)key.Role);
        cmd.Parameters.Add(new NpgsqlParameter("e", NpgsqlDbType.Text) { Value = (object?)key.Environment ?? DBNull.Value });
        cmd.Parameters.AddWithValue("h", key.Hash);
        cmd.Parameters.AddWithValue("p", key.Prefix);
        cmd.Parameters.AddWithValue("t", key.CreatedAt.ToUnixTimeMilliseconds());
        cmd.ExecuteNonQuery();
        InsertAudit(c, tx, audit);
        tx.Commit();
        Notify(c, ReplicationChannel.Keys);
    }

    /// <inheritdoc />
    public bool RevokeApiKey(string id, AuditRecord audit)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        using var cmd = Command(c, "UPDATE api_keys SET revoked_at = @t WHERE id = @id AND revoked_at IS NULL", tx);
        cmd.Parameters.AddWithValue("t", audit.Time.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("id", id);
        if (cmd.ExecuteNonQuery() != 1)
        {
            return false;
        }

        InsertAudit(c, tx, audit);
        tx.Commit();
        Notify(c, ReplicationChannel.Keys);
        return true;
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    private void Migrate(DateTimeOffset now)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        using (var lockCmd = Command(c, MigrationLock, tx))
        {
            lockCmd.ExecuteNonQuery();
        }

        Execute(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at bigint NOT NULL)");
        int current;
        using (var read = Command(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", tx))
        {
            current = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        if (current > CurrentSchemaVersion)
        {
            throw new InvalidOperationException(
                $"The database {Location} has schema version {current}, newer than this server's {CurrentSchemaVersion}. Run a newer server.");
        }

        foreach (var (version, description, sql) in PostgresMigrations.All.Where(m => m.Version > current))
        {
            Execute(c, tx, sql);
            using var record = Command(c, "INSERT INTO schema_migrations (version, description, applied_at) VALUES (@v, @d, @t)", tx);
            record.Parameters.AddWithValue("v", version);
            record.Parameters.AddWithValue("d", description);
            record.Parameters.AddWithValue("t", now.ToUnixTimeMilliseconds());
            record.ExecuteNonQuery();
        }

        tx.Commit();
    }

    /// <summary>
    /// Takes the next revision inside the write's transaction. The row lock makes a concurrent writer wait; once this
    /// transaction ends it re-reads the row, finds the revision moved, updates nothing and is refused.
    /// </summary>
    private static void TakeRevision(NpgsqlConnection c, NpgsqlTransaction tx, CommitBatch batch)
    {
        using var rev = Command(c, "UPDATE environments SET revision = revision + 1 WHERE id = @e AND revision = @from RETURNING revision", tx);
        rev.Parameters.AddWithValue("e", batch.EnvironmentId);
        rev.Parameters.AddWithValue("from", batch.FromRevision);
        var taken = rev.ExecuteScalar();
        if (taken is null || Convert.ToInt64(taken, CultureInfo.InvariantCulture) != batch.ToRevision)
        {
            tx.Rollback();
            throw new RevisionConflictException(batch.EnvironmentId, batch.FromRevision);
        }
    }

    private static void WriteDocuments(NpgsqlConnection c, NpgsqlTransaction tx, CommitBatch batch)
    {
        foreach (var d in batch.Documents)
        {
            using var doc = Command(c, """
                INSERT INTO documents (env_id, kind, key, json, version, revision, archived, updated_at, updated_by)
                VALUES (@e, @k, @key, @j, @v, @r, @a, @t, @by)
                ON CONFLICT (env_id, kind, key) DO UPDATE SET json = excluded.json, version = excluded.version,
                    revision = excluded.revision, archived = excluded.archived, updated_at = excluded.updated_at,
                    updated_by = excluded.updated_by
                """, tx);
            doc.Parameters.AddWithValue("e", batch.EnvironmentId);
            doc.Parameters.AddWithValue("k", (int)d.Kind);
            doc.Parameters.AddWithValue("key", d.Key);
            doc.Parameters.AddWithValue("j", d.Json);
            doc.Parameters.AddWithValue("v", d.Version);
            doc.Parameters.AddWithValue("r", d.Revision);
            doc.Parameters.AddWithValue("a", d.Archived);
            doc.Parameters.AddWithValue("t", d.UpdatedAt.ToUnixTimeMilliseconds());
            doc.Parameters.AddWithValue("by", d.UpdatedBy);
            doc.ExecuteNonQuery();
        }
    }

    /// <summary>The write's history rows, each <c>before</c> stored only when it is not the previous row's <c>after</c> (<see cref="StoreHistorySql"/>).</summary>
    private static void WriteHistory(NpgsqlConnection c, NpgsqlTransaction tx, CommitBatch batch)
    {
        var seq = 0;
        foreach (var row in batch.History)
        {
            using var h = Command(c, StoreHistorySql.Insert, tx);
            h.Parameters.AddWithValue("e", batch.EnvironmentId);
            h.Parameters.AddWithValue("r", row.Revision);
            h.Parameters.AddWithValue("s", seq++);
            h.Parameters.AddWithValue("k", (int)row.Kind);
            h.Parameters.AddWithValue("key", row.Key);
            h.Parameters.AddWithValue("a", row.Action);
            h.Parameters.AddWithValue("au", row.Author);
            h.Parameters.AddWithValue("c", row.Comment);
            h.Parameters.AddWithValue("t", row.Time.ToUnixTimeMilliseconds());
            h.Parameters.Add(new NpgsqlParameter("b", NpgsqlDbType.Bytea) { Value = (object?)row.Before ?? DBNull.Value });
            h.Parameters.Add(new NpgsqlParameter("af", NpgsqlDbType.Bytea) { Value = (object?)row.After ?? DBNull.Value });
            h.Parameters.AddWithValue("sum", row.Summary);
            h.Parameters.AddWithValue("op", row.Operation);
            h.ExecuteNonQuery();
        }
    }

    private static void InsertAudit(NpgsqlConnection c, NpgsqlTransaction tx, AuditRecord audit)
    {
        using var cmd = Command(c, """
            INSERT INTO audit (time, actor, action, environment, target, revision, detail)
            VALUES (@t, @a, @ac, @e, @tg, @r, @d)
            """, tx);
        cmd.Parameters.AddWithValue("t", audit.Time.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("a", audit.Actor);
        cmd.Parameters.AddWithValue("ac", audit.Action);
        cmd.Parameters.AddWithValue("e", audit.Environment);
        cmd.Parameters.AddWithValue("tg", audit.Target);
        cmd.Parameters.AddWithValue("r", audit.Revision);
        cmd.Parameters.AddWithValue("d", audit.Detail);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Stores an answer unless the key has one; a concurrent insert of the same key waits for the other and then finds it.</summary>
    private static bool InsertIdempotent(NpgsqlConnection c, NpgsqlTransaction tx, long environmentId, string key, IdempotentAnswer answer, DateTimeOffset now)
    {
        using var cmd = Command(c, """
            INSERT INTO idempotency (env_id, idem_key, request_hash, response, created_at) VALUES (@e, @k, @h, @r, @t)
            ON CONFLICT (env_id, idem_key) DO NOTHING
            """, tx);
        cmd.Parameters.AddWithValue("e", environmentId);
        cmd.Parameters.AddWithValue("k", key);
        cmd.Parameters.AddWithValue("h", answer.RequestHash);
        cmd.Parameters.AddWithValue("r", answer.Response);
        cmd.Parameters.AddWithValue("t", now.ToUnixTimeMilliseconds());
        return cmd.ExecuteNonQuery() == 1;
    }


    private static NpgsqlCommand Command(NpgsqlConnection c, string sql, NpgsqlTransaction? tx = null) => new(sql, c, tx);

    private static void Execute(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = Command(c, sql, tx);
        cmd.ExecuteNonQuery();
    }

}
