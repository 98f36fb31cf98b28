using FlagKit.Protocol.V1;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Store;

/// <summary>
/// The durable store: one SQLite file in WAL mode. Every write goes through one long-lived writer connection
/// (SQLite has one writer anyway); reads open their own short-lived connections and never block the writer.
/// </summary>
/// <remarks>
/// <para>Durability: <c>synchronous=FULL</c>. In WAL mode NORMAL survives a process crash but may lose the last
/// commits on power loss or an OS crash; the server acknowledges a change only once it is durable, and flag writes
/// are human-paced, so one fsync per commit is the right price.</para>
/// <para>History rows are immutable: triggers refuse UPDATE and DELETE on them.</para>
/// <para>Thread safety: all members are safe to call concurrently; writes are serialized internally.</para>
/// </remarks>
internal sealed class FlagDatabase : IDisposable
{
    /// <summary>The schema version this server writes (the highest migration it knows).</summary>
    public static int CurrentSchemaVersion => Migrations[^1].Version;

    // About SQLite's own default (1000 pages of 4 KB).
    private const long CheckpointBytes = 4 * 1024 * 1024;

    private static readonly (int Version, string Description, string Sql)[] Migrations =
    [
        (1, "initial schema", """
            CREATE TABLE environments (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                revision INTEGER NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE TABLE documents (
                env_id INTEGER NOT NULL REFERENCES environments(id),
                kind INTEGER NOT NULL,
                key TEXT NOT NULL,
                json BLOB NOT NULL,
                version INTEGER NOT NULL,
                revision INTEGER NOT NULL,
                archived INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                updated_by TEXT NOT NULL,
                PRIMARY KEY (env_id, kind, key));
            CREATE TABLE history (
                env_id INTEGER NOT NULL REFERENCES environments(id),
                revision INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                kind INTEGER NOT NULL,
                key TEXT NOT NULL,
                action TEXT NOT NULL,
                author TEXT NOT NULL,
                comment TEXT NOT NULL,
                time INTEGER NOT NULL,
                before_json BLOB,
                after_json BLOB,
                summary TEXT NOT NULL,
                PRIMARY KEY (env_id, revision, seq));
            CREATE INDEX history_by_key ON history (env_id, kind, key, revision);
            CREATE TRIGGER history_no_update BEFORE UPDATE ON history
                BEGIN SELECT RAISE(ABORT, 'history rows are immutable'); END;
            CREATE TRIGGER history_no_delete BEFORE DELETE ON history
                BEGIN SELECT RAISE(ABORT, 'history rows are immutable'); END;
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time INTEGER NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                environment TEXT NOT NULL,
                target TEXT NOT NULL,
                revision INTEGER NOT NULL,
                detail TEXT NOT NULL);
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                role INTEGER NOT NULL,
                environment TEXT,
                hash BLOB NOT NULL UNIQUE,
                prefix TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER);
            CREATE TABLE idempotency (
                env_id INTEGER NOT NULL,
                idem_key TEXT NOT NULL,
                request_hash BLOB NOT NULL,
                response BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (env_id, idem_key));
            CREATE INDEX idempotency_by_time ON idempotency (created_at);
            """),
        (2, "history.operation: what each write was, in words", """
            ALTER TABLE history ADD COLUMN operation TEXT NOT NULL DEFAULT '';
            """),
    ];

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Lock _writeLock = new();
    private long _walBytes;
    private int _checkpointing;

    private FlagDatabase(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
        _writer = new SqliteConnection(_connectionString);
    }

    /// <summary>The full path of the SQLite file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens (creating if needed) the SQLite file at <paramref name="path"/>, switches it to WAL and applies pending
    /// migrations.
    /// </summary>
    /// <param name="path">The file; its directory is created when missing.</param>
    /// <param name="now">The time recorded for applied migrations.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="InvalidOperationException">The file was written by a newer server (schema version too high).</exception>
    public static FlagDatabase Open(string path, DateTimeOffset now)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var db = new FlagDatabase(full);
        try
        {
            db._writer.Open();
            // No checkpoint inside a commit: a write that happened to cross the WAL threshold would wait for the whole
            // checkpoint (copy and fsync of the database file). CheckpointSoon runs it on its own connection instead.
            Execute(db._writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA wal_autocheckpoint=0;");
            db.Migrate(now);
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>The schema version recorded in the file.</summary>
    /// <returns>The highest applied migration.</returns>
    public int ReadSchemaVersion()
    {
        using var c = OpenReader();
        return Convert.ToInt32(Scalar(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void Migrate(DateTimeOffset now)
    {
        lock (_writeLock)
        {
            Execute(_writer, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL);");
            var current = Convert.ToInt32(Scalar(_writer, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"), System.Globalization.CultureInfo.InvariantCulture);
            if (current > CurrentSchemaVersion)
            {
                throw new InvalidOperationException(
                    $"The data file '{Path}' has schema version {current}, newer than this server's {CurrentSchemaVersion}. Run a newer server.");
            }

            foreach (var (version, description, sql) in Migrations)
            {
                if (version <= current)
                {
                    continue;
                }

                using var tx = _writer.BeginTransaction();
                Execute(_writer, sql, tx);
                using var record = Command(_writer, "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($v, $d, $t)", tx);
                record.Parameters.AddWithValue("$v", version);
                record.Parameters.AddWithValue("$d", description);
                record.Parameters.AddWithValue("$t", now.ToUnixTimeMilliseconds());
                record.ExecuteNonQuery();
                tx.Commit();
            }
        }
    }

    /// <summary>Checks that the file answers a query (for health checks).</summary>
    /// <returns>True when a read succeeded.</returns>
    public bool Ping()
    {
        using var c = OpenReader();
        return Convert.ToInt64(Scalar(c, "SELECT 1"), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    // ---- environments and documents ----------------------------------------------------------------------

    /// <summary>Every environment.</summary>
    /// <returns>Environments by name.</returns>
    public IReadOnlyList<EnvironmentRecord> LoadEnvironments()
    {
        using var c = OpenReader();
        using var cmd = Command(c, "SELECT id, name, revision, created_at FROM environments ORDER BY name");
        using var r = cmd.ExecuteReader();
        var list = new List<EnvironmentRecord>();
        while (r.Read())
        {
            list.Add(new EnvironmentRecord(r.GetInt64(0), r.GetString(1), r.GetInt64(2), FromMs(r.GetInt64(3))));
        }

        return list;
    }

    /// <summary>Every document of an environment, archived ones included.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <returns>The documents.</returns>
    public IReadOnlyList<StoredDocument> LoadDocuments(long environmentId)
    {
        using var c = OpenReader();
        using var cmd = Command(c, "SELECT kind, key, json, version, revision, updated_at, updated_by, archived FROM documents WHERE env_id = $e");
        cmd.Parameters.AddWithValue("$e", environmentId);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredDocument>();
        while (r.Read())
        {
            list.Add(new StoredDocument(
                (DocumentKind)r.GetInt32(0), r.GetString(1), (byte[])r.GetValue(2), r.GetInt64(3), r.GetInt64(4),
                FromMs(r.GetInt64(5)), r.GetString(6), r.GetInt64(7) != 0));
        }

        return list;
    }

    /// <summary>Creates an environment at revision 0 and records it in the audit log.</summary>
    /// <param name="name">The unique name.</param>
    /// <param name="audit">The audit row.</param>
    /// <returns>The new environment.</returns>
    /// <exception cref="SqliteException">The name exists (constraint violation).</exception>
    public EnvironmentRecord CreateEnvironment(string name, AuditRecord audit)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var cmd = Command(_writer, "INSERT INTO environments (name, revision, created_at) VALUES ($n, 0, $t) RETURNING id", tx);
            cmd.Parameters.AddWithValue("$n", name);
            cmd.Parameters.AddWithValue("$t", audit.Time.ToUnixTimeMilliseconds());
            var id = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            InsertAudit(tx, audit);
            tx.Commit();
            return new EnvironmentRecord(id, name, 0, audit.Time);
        }
    }

    /// <summary>
    /// Commits one write in one transaction: the revision moves from <see cref="CommitBatch.FromRevision"/> to
    /// <see cref="CommitBatch.ToRevision"/> (refused if another writer moved it), documents, history, audit and the
    /// idempotent answer. Returns only once the transaction is durable.
    /// </summary>
    /// <param name="batch">The write.</param>
    /// <param name="idempotencyCutoff">Idempotency keys older than this are forgotten.</param>
    /// <exception cref="InvalidOperationException">The environment's revision is no longer <see cref="CommitBatch.FromRevision"/>.</exception>
    public void Commit(CommitBatch batch, DateTimeOffset idempotencyCutoff)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using (var rev = Command(_writer, "UPDATE environments SET revision = $to WHERE id = $e AND revision = $from", tx))
            {
                rev.Parameters.AddWithValue("$to", batch.ToRevision);
                rev.Parameters.AddWithValue("$from", batch.FromRevision);
                rev.Parameters.AddWithValue("$e", batch.EnvironmentId);
                if (rev.ExecuteNonQuery() != 1)
                {
                    throw new InvalidOperationException($"Environment {batch.EnvironmentId} is no longer at revision {batch.FromRevision}.");
                }
            }

            using (var doc = Command(_writer, """
                INSERT INTO documents (env_id, kind, key, json, version, revision, archived, updated_at, updated_by)
                VALUES ($e, $k, $key, $j, $v, $r, $a, $t, $by)
                ON CONFLICT (env_id, kind, key) DO UPDATE SET json = excluded.json, version = excluded.version,
                    revision = excluded.revision, archived = excluded.archived, updated_at = excluded.updated_at,
                    updated_by = excluded.updated_by
                """, tx))
            {
                var e = doc.Parameters.Add("$e", SqliteType.Integer);
                var k = doc.Parameters.Add("$k", SqliteType.Integer);
                var key = doc.Parameters.Add("$key", SqliteType.Text);
                var j = doc.Parameters.Add("$j", SqliteType.Blob);
                var v = doc.Parameters.Add("$v", SqliteType.Integer);
                var r = doc.Parameters.Add("$r", SqliteType.Integer);
                var a = doc.Parameters.Add("$a", SqliteType.Integer);
                var t = doc.Parameters.Add("$t", SqliteType.Integer);
                var by = doc.Parameters.Add("$by", SqliteType.Text);
                foreach (var d in batch.Documents)
                {
                    e.Value = batch.EnvironmentId;
                    k.Value = (int)d.Kind;
                    key.Value = d.Key;
                    j.Value = d.Json;
                    v.Value = d.Version;
                    r.Value = d.Revision;
                    a.Value = d.Archived ? 1 : 0;
                    t.Value = d.UpdatedAt.ToUnixTimeMilliseconds();
                    by.Value = d.UpdatedBy;
                    doc.ExecuteNonQuery();
                }
            }

            using (var h = Command(_writer, """
                INSERT INTO history (env_id, revision, seq, kind, key, action, author, comment, time, before_json, after_json, summary, operation)
                VALUES ($e, $r, $s, $k, $key, $a, $au, $c, $t, $b, $af, $sum, $op)
                """, tx))
            {
                var seq = 0;
                foreach (var row in batch.History)
                {
                    h.Parameters.Clear();
                    h.Parameters.AddWithValue("$e", batch.EnvironmentId);
                    h.Parameters.AddWithValue("$r", row.Revision);
                    h.Parameters.AddWithValue("$s", seq++);
                    h.Parameters.AddWithValue("$k", (int)row.Kind);
                    h.Parameters.AddWithValue("$key", row.Key);
                    h.Parameters.AddWithValue("$a", row.Action);
                    h.Parameters.AddWithValue("$au", row.Author);
                    h.Parameters.AddWithValue("$c", row.Comment);
                    h.Parameters.AddWithValue("$t", row.Time.ToUnixTimeMilliseconds());
                    h.Parameters.Add("$b", SqliteType.Blob).Value = (object?)row.Before ?? DBNull.Value;
                    h.Parameters.Add("$af", SqliteType.Blob).Value = (object?)row.After ?? DBNull.Value;
                    h.Parameters.AddWithValue("$sum", row.Summary);
                    h.Parameters.AddWithValue("$op", row.Operation);
                    h.ExecuteNonQuery();
                }
            }

            InsertAudit(tx, batch.Audit);
            if (batch.IdempotencyKey is { } idem && batch.Answer is { } answer)
            {
                InsertIdempotent(tx, batch.EnvironmentId, idem, answer, batch.Audit.Time);
            }

            using (var prune = Command(_writer, "DELETE FROM idempotency WHERE created_at < $cut", tx))
            {
                prune.Parameters.AddWithValue("$cut", idempotencyCutoff.ToUnixTimeMilliseconds());
                prune.ExecuteNonQuery();
            }

            tx.Commit();
        }

        CheckpointSoon(batch.Documents.Sum(d => (long)d.Json.Length) + batch.History.Sum(h => (long)(h.Before?.Length ?? 0) + (h.After?.Length ?? 0)));
    }

    /// <summary>Stores the answer of a write that changed nothing (so a retry answers the same).</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="key">The idempotency key.</param>
    /// <param name="answer">The answer.</param>
    /// <param name="now">When.</param>
    public void StoreIdempotent(long environmentId, string key, IdempotentAnswer answer, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            InsertIdempotent(tx, environmentId, key, answer, now);
            tx.Commit();
        }
    }

    /// <summary>The stored answer for an idempotency key, if it is still kept.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="key">The idempotency key.</param>
    /// <returns>The answer, or null.</returns>
    public IdempotentAnswer? FindIdempotent(long environmentId, string key)
    {
        using var c = OpenReader();
        using var cmd = Command(c, "SELECT request_hash, response FROM idempotency WHERE env_id = $e AND idem_key = $k");
        cmd.Parameters.AddWithValue("$e", environmentId);
        cmd.Parameters.AddWithValue("$k", key);
        using var r = cmd.ExecuteReader();
        return r.Read() ? new IdempotentAnswer((byte[])r.GetValue(0), (byte[])r.GetValue(1)) : null;
    }

    // ---- history and audit ---------------------------------------------------------------------------------

    /// <summary>History rows, newest first.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="key">One document's key, or null for the whole environment.</param>
    /// <param name="limit">At most this many rows.</param>
    /// <param name="beforeRevision">Only rows with a lower revision (0: no bound).</param>
    /// <returns>The rows.</returns>
    public IReadOnlyList<HistoryRecord> GetHistory(long environmentId, string? key, int limit, long beforeRevision)
    {
        using var c = OpenReader();
        using var cmd = Command(c, """
            SELECT revision, kind, key, action, author, comment, time, before_json, after_json, summary, operation FROM history
            WHERE env_id = $e AND ($key IS NULL OR key = $key) AND ($before = 0 OR revision < $before)
            ORDER BY revision DESC, seq DESC LIMIT $limit
            """);
        cmd.Parameters.AddWithValue("$e", environmentId);
        cmd.Parameters.AddWithValue("$key", (object?)key ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$before", beforeRevision);
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadHistory(cmd);
    }

    /// <summary>
    /// The state of every document that existed at some point up to <paramref name="revision"/>: its last history row
    /// at or before that revision (whose <see cref="HistoryRecord.After"/> is null when it was archived then).
    /// </summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="revision">The revision to reconstruct.</param>
    /// <returns>One row per document.</returns>
    public IReadOnlyList<HistoryRecord> GetStateAt(long environmentId, long revision)
    {
        using var c = OpenReader();
        using var cmd = Command(c, """
            SELECT revision, kind, key, action, author, comment, time, before_json, after_json, summary, operation FROM (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY kind, key ORDER BY revision DESC, seq DESC) AS n
                FROM history WHERE env_id = $e AND revision <= $r)
            WHERE n = 1
            """);
        cmd.Parameters.AddWithValue("$e", environmentId);
        cmd.Parameters.AddWithValue("$r", revision);
        return ReadHistory(cmd);
    }

    /// <summary>Audit rows for an environment (or all, when empty), newest first.</summary>
    /// <param name="environment">Environment name, or empty for every row.</param>
    /// <param name="limit">At most this many rows.</param>
    /// <returns>The rows.</returns>
    public IReadOnlyList<AuditRecord> GetAudit(string environment, int limit)
    {
        using var c = OpenReader();
        using var cmd = Command(c, """
            SELECT id, time, actor, action, environment, target, revision, detail FROM audit
            WHERE ($env = '' OR environment = $env) ORDER BY id DESC LIMIT $limit
            """);
        cmd.Parameters.AddWithValue("$env", environment);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<AuditRecord>();
        while (r.Read())
        {
            list.Add(new AuditRecord(r.GetInt64(0), FromMs(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt64(6), r.GetString(7)));
        }

        return list;
    }

    // ---- API keys ------------------------------------------------------------------------------------------

    /// <summary>Every API key, revoked ones included.</summary>
    /// <returns>The keys, oldest first.</returns>
    public IReadOnlyList<ApiKeyRecord> LoadApiKeys()
    {
        using var c = OpenReader();
        using var cmd = Command(c, "SELECT id, name, role, environment, hash, prefix, created_at, revoked_at FROM api_keys ORDER BY created_at, id");
        using var r = cmd.ExecuteReader();
        var list = new List<ApiKeyRecord>();
        while (r.Read())
        {
            list.Add(new ApiKeyRecord(
                r.GetString(0), r.GetString(1), (ApiKeyRole)r.GetInt32(2), r.IsDBNull(3) ? null : r.GetString(3),
                (byte[])r.GetValue(4), r.GetString(5), FromMs(r.GetInt64(6)), r.IsDBNull(7) ? null : FromMs(r.GetInt64(7))));
        }

        return list;
    }

    /// <summary>Stores a new key and its audit row.</summary>
    /// <param name="key">The key (hash only).</param>
    /// <param name="audit">The audit row.</param>
    public void InsertApiKey(ApiKeyRecord key, AuditRecord audit)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var cmd = Command(_writer, """
                INSERT INTO api_keys (id, name, role, environment, hash, prefix, created_at, revoked_at)
                VALUES ($id, $n, $r, $e, $h, $p, $t, NULL)
                """, tx);
            cmd.Parameters.AddWithValue("$id", key.Id);
            cmd.Parameters.AddWithValue("$n", key.Name);
            cmd.Parameters.AddWithValue("$r", (int)key.Role);
            cmd.Parameters.AddWithValue("$e", (object?)key.Environment ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$h", key.Hash);
            cmd.Parameters.AddWithValue("$p", key.Prefix);
            cmd.Parameters.AddWithValue("$t", key.CreatedAt.ToUnixTimeMilliseconds());
            cmd.ExecuteNonQuery();
            InsertAudit(tx, audit);
            tx.Commit();
        }
    }

    /// <summary>Marks a key revoked (kept for the record) and writes its audit row.</summary>
    /// <param name="id">The key id.</param>
    /// <param name="audit">The audit row (its time is the revocation time).</param>
    /// <returns>True when a live key was revoked.</returns>
    public bool RevokeApiKey(string id, AuditRecord audit)
    {
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var cmd = Command(_writer, "UPDATE api_keys SET revoked_at = $t WHERE id = $id AND revoked_at IS NULL", tx);
            cmd.Parameters.AddWithValue("$t", audit.Time.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$id", id);
            if (cmd.ExecuteNonQuery() != 1)
            {
                return false;
            }

            InsertAudit(tx, audit);
            tx.Commit();
            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_writeLock)
        {
            _writer.Dispose();
        }
    }

    // ---- plumbing ------------------------------------------------------------------------------------------

    /// <summary>
    /// Counts what a commit wrote to the WAL and, past <see cref="CheckpointBytes"/>, copies the WAL into the database
    /// on a connection of its own (PASSIVE: it never waits for the writer nor makes it wait), in the background.
    /// </summary>
    private void CheckpointSoon(long written)
    {
        if (Interlocked.Add(ref _walBytes, written + 4096) < CheckpointBytes || Interlocked.Exchange(ref _checkpointing, 1) == 1)
        {
            return;
        }

        Interlocked.Exchange(ref _walBytes, 0);
        _ = Task.Run(() =>
        {
            try
            {
                using var c = OpenReader();
                Execute(c, "PRAGMA wal_checkpoint(PASSIVE);");
            }
            catch (SqliteException)
            {
                // Retried after the next few commits; the WAL only grows meanwhile.
                Interlocked.Add(ref _walBytes, CheckpointBytes);
            }
            finally
            {
                Interlocked.Exchange(ref _checkpointing, 0);
            }
        });
    }

    private SqliteConnection OpenReader()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        Execute(c, "PRAGMA busy_timeout=30000;");
        return c;
    }

    private void InsertAudit(SqliteTransaction tx, AuditRecord audit)
    {
        using var cmd = Command(_writer, """
            INSERT INTO audit (time, actor, action, environment, target, revision, detail)
            VALUES ($t, $a, $ac, $e, $tg, $r, $d)
            """, tx);
        cmd.Parameters.AddWithValue("$t", audit.Time.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$a", audit.Actor);
        cmd.Parameters.AddWithValue("$ac", audit.Action);
        cmd.Parameters.AddWithValue("$e", audit.Environment);
        cmd.Parameters.AddWithValue("$tg", audit.Target);
        cmd.Parameters.AddWithValue("$r", audit.Revision);
        cmd.Parameters.AddWithValue("$d", audit.Detail);
        cmd.ExecuteNonQuery();
    }

    private void InsertIdempotent(SqliteTransaction tx, long environmentId, string key, IdempotentAnswer answer, DateTimeOffset now)
    {
        using var cmd = Command(_writer, """
            INSERT INTO idempotency (env_id, idem_key, request_hash, response, created_at) VALUES ($e, $k, $h, $r, $t)
            ON CONFLICT (env_id, idem_key) DO NOTHING
            """, tx);
        cmd.Parameters.AddWithValue("$e", environmentId);
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$h", answer.RequestHash);
        cmd.Parameters.AddWithValue("$r", answer.Response);
        cmd.Parameters.AddWithValue("$t", now.ToUnixTimeMilliseconds());
        cmd.ExecuteNonQuery();
    }

    private static List<HistoryRecord> ReadHistory(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<HistoryRecord>();
        while (r.Read())
        {
            list.Add(new HistoryRecord(
                r.GetInt64(0), (DocumentKind)r.GetInt32(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
                FromMs(r.GetInt64(6)), r.IsDBNull(7) ? null : (byte[])r.GetValue(7), r.IsDBNull(8) ? null : (byte[])r.GetValue(8),
                r.GetString(9), r.GetString(10)));
        }

        return list;
    }

    private static SqliteCommand Command(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static void Execute(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = Command(c, sql, tx);
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = Command(c, sql);
        return cmd.ExecuteScalar();
    }

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
