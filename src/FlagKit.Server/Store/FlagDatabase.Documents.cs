using FlagKit.Protocol.V1;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Store;

/// <content>The store's environments, documents and the one commit of a write.</content>
internal sealed partial class FlagDatabase
{
    /// <summary>Every environment.</summary>
    /// <returns>Environments by name.</returns>
    public IReadOnlyList<EnvironmentRecord> LoadEnvironments()
    {
        using var c = OpenReader();
        using var cmd = Command(c, "SELECT id, name, revision, created_at FROM environments ORDER BY name");
        return StoreRows.ReadAll(cmd, StoreRows.Environment);
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
                StoreRows.FromMs(r.GetInt64(5)), r.GetString(6), r.GetInt64(7) != 0));
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
    /// <exception cref="RevisionConflictException">The environment's revision is no longer <see cref="CommitBatch.FromRevision"/>.</exception>
    /// <exception cref="IdempotencyKeyTakenException">Another write stored an answer under the same key first.</exception>
    public void Commit(CommitBatch batch, DateTimeOffset idempotencyCutoff)
    {
        long written;
        lock (_writeLock)
        {
            // On Linux the commit itself does not sync (NORMAL): the WAL is made durable below with fdatasync, before
            // this method returns (docs/reliability.md, "Kill latency"). Every other write of the store keeps FULL.
            var dataSync = WalDataSync.IsSupported;
            if (dataSync)
            {
                Execute(_writer, "PRAGMA synchronous=NORMAL;");
            }

            try
            {
                written = CommitLocked(batch, idempotencyCutoff);
            }
            finally
            {
                if (dataSync)
                {
                    Execute(_writer, "PRAGMA synchronous=FULL;");
                }
            }
        }

        // Outside the writer lock: the next writer (a kill) does not wait for this sync, and this sync covers any
        // commit written before it. The caller is answered only after it, so nothing is acknowledged before it is durable.
        if (WalDataSync.IsSupported)
        {
            SyncWal();
        }

        CheckpointSoon(written);
    }

    /// <summary>
    /// Makes the WAL durable. A failed sync stops the process: the kernel may have dropped the pages it could not
    /// write, so neither retrying nor going on is safe; a restart recovers from the file (what PostgreSQL does on an
    /// fsync failure). Nothing unsynced has been acknowledged.
    /// </summary>
    private void SyncWal()
    {
        try
        {
            WalDataSync.Sync(Path + "-wal");
        }
        catch (IOException e)
        {
            Environment.FailFast($"FlagKit store '{Path}': the WAL could not be made durable after a commit ({e.Message}); stopping so a restart recovers from the file.", e);
        }
    }

    private long CommitLocked(CommitBatch batch, DateTimeOffset idempotencyCutoff)
    {
        using var tx = _writer.BeginTransaction();
        using (var rev = Command(_writer, "UPDATE environments SET revision = $to WHERE id = $e AND revision = $from", tx))
        {
            rev.Parameters.AddWithValue("$to", batch.ToRevision);
            rev.Parameters.AddWithValue("$from", batch.FromRevision);
            rev.Parameters.AddWithValue("$e", batch.EnvironmentId);
            if (rev.ExecuteNonQuery() != 1)
            {
                throw new RevisionConflictException(batch.EnvironmentId, batch.FromRevision);
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

        var written = batch.Documents.Sum(d => (long)d.Json.Length) + InsertHistory(tx, batch);

        InsertAudit(tx, batch.Audit);

        // Expired keys go first, so a key past its retention is taken afresh rather than refused.
        using (var prune = Command(_writer, "DELETE FROM idempotency WHERE created_at < $cut", tx))
        {
            prune.Parameters.AddWithValue("$cut", idempotencyCutoff.ToUnixTimeMilliseconds());
            prune.ExecuteNonQuery();
        }

        if (batch.IdempotencyKey is { } idem && batch.Answer is { } answer && !InsertIdempotent(tx, batch.EnvironmentId, idem, answer, batch.Audit.Time))
        {
            tx.Rollback();
            throw new IdempotencyKeyTakenException(idem, FindIdempotent(batch.EnvironmentId, idem)!);
        }

        tx.Commit();

        return written;
    }

    /// <summary>The write's history rows (each <c>before</c> stored only when it is not the previous row's <c>after</c>); returns the document bytes stored.</summary>
    private long InsertHistory(SqliteTransaction tx, CommitBatch batch)
    {
        using var h = Command(_writer, StoreHistorySql.Insert, tx);
        var seq = 0;
        var written = 0L;
        foreach (var row in batch.History)
        {
            h.Parameters.Clear();
            h.Parameters.AddWithValue("@e", batch.EnvironmentId);
            h.Parameters.AddWithValue("@r", row.Revision);
            h.Parameters.AddWithValue("@s", seq++);
            h.Parameters.AddWithValue("@k", (int)row.Kind);
            h.Parameters.AddWithValue("@key", row.Key);
            h.Parameters.AddWithValue("@a", row.Action);
            h.Parameters.AddWithValue("@au", row.Author);
            h.Parameters.AddWithValue("@c", row.Comment);
            h.Parameters.AddWithValue("@t", row.Time.ToUnixTimeMilliseconds());
            h.Parameters.Add("@b", SqliteType.Blob).Value = (object?)row.Before ?? DBNull.Value;
            h.Parameters.Add("@af", SqliteType.Blob).Value = (object?)row.After ?? DBNull.Value;
            h.Parameters.AddWithValue("@sum", row.Summary);
            h.Parameters.AddWithValue("@op", row.Operation);
            var beforeLeftOut = Convert.ToBoolean(h.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            written += (row.After?.Length ?? 0) + (beforeLeftOut ? 0 : row.Before?.Length ?? 0);
        }

        return written;
    }
}
