using FlagKit.Protocol.V1;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Store;

/// <content>The store's history (immutable rows) and audit.</content>
internal sealed partial class FlagDatabase
{
    /// <summary>History rows, newest first.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="key">One document's key, or null for the whole environment.</param>
    /// <param name="limit">At most this many rows.</param>
    /// <param name="beforeRevision">Only rows with a lower revision (0: no bound).</param>
    /// <returns>The rows.</returns>
    public IReadOnlyList<HistoryRecord> GetHistory(long environmentId, string? key, int limit, long beforeRevision)
    {
        using var c = OpenReader();
        using var cmd = Command(c, $"""
            SELECT {StoreHistorySql.Columns} FROM history h
            WHERE h.env_id = $e AND ($key IS NULL OR h.key = $key) AND ($before = 0 OR h.revision < $before)
            ORDER BY h.revision DESC, h.seq DESC LIMIT $limit
            """);
        cmd.Parameters.AddWithValue("$e", environmentId);
        cmd.Parameters.AddWithValue("$key", (object?)key ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$before", beforeRevision);
        cmd.Parameters.AddWithValue("$limit", limit);
        return StoreRows.ReadAll(cmd, StoreRows.History);
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
        using var cmd = Command(c, $"""
            SELECT {StoreHistorySql.Columns} FROM (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY kind, key ORDER BY revision DESC, seq DESC) AS n
                FROM history WHERE env_id = $e AND revision <= $r) AS h
            WHERE h.n = 1
            """);
        cmd.Parameters.AddWithValue("$e", environmentId);
        cmd.Parameters.AddWithValue("$r", revision);
        return StoreRows.ReadAll(cmd, StoreRows.History);
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
        return StoreRows.ReadAll(cmd, StoreRows.Audit);
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

}
