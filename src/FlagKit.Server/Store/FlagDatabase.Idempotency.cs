using FlagKit.Protocol.V1;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Store;

/// <content>The store's idempotent answers (a retried write answers as the first did).</content>
internal sealed partial class FlagDatabase
{
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
            _ = InsertIdempotent(tx, environmentId, key, answer, now);
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

    private bool InsertIdempotent(SqliteTransaction tx, long environmentId, string key, IdempotentAnswer answer, DateTimeOffset now)
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
        return cmd.ExecuteNonQuery() == 1;
    }
}
