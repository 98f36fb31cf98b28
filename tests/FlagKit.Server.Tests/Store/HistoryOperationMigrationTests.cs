using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Tests.Store;

/// <summary>Schema 2 adds history.operation; rows written before it read as an empty operation.</summary>
[TestFixture]
public sealed class HistoryOperationMigrationTests
{
    [Test]
    public void Open_SchemaOneFileWithHistory_AddsOperationOlderRowsEmpty()
    {
        var dir = Directory.CreateTempSubdirectory("flagkit-db-");
        try
        {
            var path = Path.Combine(dir.FullName, "f.db");
            long envId;
            using (var db = FlagDatabase.Open(path, DateTimeOffset.UnixEpoch))
            {
                envId = db.CreateEnvironment("production", new AuditRecord(0, DateTimeOffset.UnixEpoch, "t", "CreateEnvironment", "production", "production", 0, "")).Id;
            }

            // Make the file what a schema-1 server left: no operation column, one history row.
            Sql(path, $"""
                ALTER TABLE history DROP COLUMN operation;
                ALTER TABLE history DROP COLUMN before_is_previous;
                DROP TRIGGER audit_no_update;
                DROP TRIGGER audit_no_delete;
                DELETE FROM schema_migrations WHERE version >= 2;
                INSERT INTO history (env_id, revision, seq, kind, key, action, author, comment, time, before_json, after_json, summary)
                VALUES ({envId}, 1, 0, 1, 'old', 'updated', 'ops', '', 0, NULL, x'7b7d', 'on: false → true');
                """);

            using (var db = FlagDatabase.Open(path, DateTimeOffset.UnixEpoch))
            {
                var rows = db.GetHistory(envId, null, 10, 0);

                Assert.That(db.ReadSchemaVersion(), Is.EqualTo(FlagDatabase.CurrentSchemaVersion));
                Assert.That(rows.Single().Key, Is.EqualTo("old"));
                Assert.That(rows.Single().Operation, Is.Empty);
                Assert.That(rows.Single().Summary, Is.EqualTo("on: false → true"));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Sql(string path, string sql)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
