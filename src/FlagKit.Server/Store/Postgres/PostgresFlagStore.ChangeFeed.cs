using System.Data;
using FlagKit.Protocol.V1;

namespace FlagKit.Server.Store.Postgres;

/// <content>The change feed replicas catch up from: documents committed since a revision, in one snapshot.</content>
internal sealed partial class PostgresFlagStore
{
    /// <inheritdoc />
    public EnvironmentChanges? ReadChangesSince(long environmentId, long revision)
    {
        using var c = _source.OpenConnection();
        // One snapshot for both reads: the documents are exactly those of the revisions up to the one read.
        using var tx = c.BeginTransaction(IsolationLevel.RepeatableRead);
        using var env = Command(c, "SELECT id, name, revision, created_at FROM environments WHERE id = @e", tx);
        env.Parameters.AddWithValue("e", environmentId);
        if (StoreRows.ReadAll(env, StoreRows.Environment) is not [var record])
        {
            return null;
        }

        using var cmd = Command(c, """
            SELECT kind, key, json, version, revision, updated_at, updated_by, archived FROM documents
            WHERE env_id = @e AND revision > @r ORDER BY revision, kind, key
            """, tx);
        cmd.Parameters.AddWithValue("e", environmentId);
        cmd.Parameters.AddWithValue("r", revision);
        var documents = new List<StoredDocument>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                documents.Add(new StoredDocument(
                    (DocumentKind)r.GetInt32(0), r.GetString(1), (byte[])r.GetValue(2), r.GetInt64(3), r.GetInt64(4),
                    StoreRows.FromMs(r.GetInt64(5)), r.GetString(6), r.GetBoolean(7)));
            }
        }

        tx.Commit();
        return new EnvironmentChanges(record, documents);
    }
}
