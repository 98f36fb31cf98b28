using FlagKit.Protocol.V1;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Store;

/// <summary>
/// The durable store: one SQLite file in WAL mode. Every write goes through one long-lived writer connection
/// (SQLite has one writer anyway); reads open their own short-lived connections and never block the writer.
/// </summary>
/// <remarks>
/// <para>Durability: the server acknowledges a change only once it is durable. Writes other than document commits use
/// <c>synchronous=FULL</c> (SQLite fsyncs the WAL in the commit). A document commit on Linux commits with NORMAL and
/// then syncs the WAL with <c>fdatasync</c> outside the writer lock, before it returns (<see cref="WalDataSync"/>):
/// the same durability, but a kill queued behind a huge commit no longer waits for that commit's sync, and the sync
/// skips ext4's journal commit for the file's modification time. A failed sync stops the process.</para>
/// <para>History rows are immutable: triggers refuse UPDATE and DELETE on them.</para>
/// <para>Split by concern: schema and plumbing here, the migrations in <see cref="StoreMigrations"/>, and one file per
/// store: documents and commits (<c>FlagDatabase.Documents.cs</c>), history and audit, idempotent answers, API keys.</para>
/// <para>Thread safety: all members are safe to call concurrently; writes are serialized internally.</para>
/// </remarks>
internal sealed partial class FlagDatabase : IFlagStore
{
    /// <summary>The schema version this server writes (the highest migration it knows).</summary>
    public static int CurrentSchemaVersion => StoreMigrations.All[^1].Version;

    // About SQLite's own default (1000 pages of 4 KB).
    private const long CheckpointBytes = 4 * 1024 * 1024;

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

    /// <inheritdoc />
    public string Location => Path;

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

            foreach (var (version, description, sql) in StoreMigrations.All)
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

}
