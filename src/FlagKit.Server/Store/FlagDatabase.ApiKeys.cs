using FlagKit.Protocol.V1;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Store;

/// <content>The store's API keys (hashes only) and their audit rows.</content>
internal sealed partial class FlagDatabase
{
    /// <summary>Every API key, revoked ones included.</summary>
    /// <returns>The keys, oldest first.</returns>
    public IReadOnlyList<ApiKeyRecord> LoadApiKeys()
    {
        using var c = OpenReader();
        using var cmd = Command(c, "SELECT id, name, role, environment, hash, prefix, created_at, revoked_at FROM api_keys ORDER BY created_at, id");
        return StoreRows.ReadAll(cmd, StoreRows.ApiKey);
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
}
