using FlagKit.Protocol.V1;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Store;

/// <content>The change feed: documents committed since a revision (one server on SQLite reads it only in tests and tools).</content>
internal sealed partial class FlagDatabase
{
    /// <inheritdoc />
    public EnvironmentChanges? ReadChangesSince(long environmentId, long revision)
    {
        using var c = OpenReader();
        // Deferred: the snapshot is taken at the first read and holds for both queries; no write lock is taken.
        using var tx = c.BeginTransaction(deferred: true);
        using var env = Command(c, "SELECT id, name, revision, created_at FROM environments WHERE id = $e", tx);
        env.Parameters.AddWithValue("$e", environmentId);
        if (StoreRows.ReadAll(env, StoreRows.Environment) is not [var record])
        {
            return null;
        }

        using var cmd = Command(c, """
            SELECT kind, key, json, version, revision, updated_at, updated_by, archived FROM documents
            WHERE env_id = $e AND revision > $r ORDER BY revision, kind, key
            """, tx);
        cmd.Parameters.AddWithValue("$e", environmentId);
        cmd.Parameters.AddWithValue("$r", revision);
        using var r = cmd.ExecuteReader();
        var documents = new List<StoredDocument>();
        while (r.Read())
        {
            documents.Add(new StoredDocument(
                (DocumentKind)r.GetInt32(0), r.GetString(1), (byte[])r.GetValue(2), r.GetInt64(3), r.GetInt64(4),
                StoreRows.FromMs(r.GetInt64(5)), r.GetString(6), r.GetInt64(7) != 0));
        }

        return new EnvironmentChanges(record, documents);
    }
}
