using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace FlagKit.Server.Tests.Store;

public sealed class FlagDatabaseTests
{
    [Test]
    public async Task Restart_SameDataFile_KeepsEverythingCommitted()
    {
        await using var server = await TestFlagServer.StartAsync();
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true)));
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.Segment("vip", "acct-1"), DocumentKind.Segment));
        var last = await server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = TestFlagServer.Environment, Key = "a", Change = FlagStateChange.Kill });
        var key = await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "later", Role = ApiKeyRole.Sdk, Environment = TestFlagServer.Environment });
        var idempotent = Docs.Put(Docs.BoolFlag("b"), idempotencyKey: "once");
        var first = await server.Admin.PutDocumentAsync(idempotent);
        var address = server.Address;

        await server.RestartAsync();

        Assert.That(server.Address, Is.EqualTo(address));
        var flag = await server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = TestFlagServer.Environment, Key = "a" });
        Assert.That(flag.Json.ToStringUtf8(), Does.Contain("\"killed\":true"));
        Assert.That(flag.EnvironmentRevision, Is.EqualTo(first.Revision));
        Assert.That(flag.Revision, Is.EqualTo(last.Revision));
        var history = await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment });
        Assert.That(history.Entries, Has.Count.EqualTo(4));
        var replay = await server.Admin.PutDocumentAsync(idempotent);
        Assert.That((replay.Replayed, replay.Revision), Is.EqualTo((true, first.Revision)));
        using var stream = await SyncStream.OpenAsync(server.CreateSyncClient(key.Secret), lastRevision: last.Revision);
        var (welcome, batch) = await stream.ReadWelcomeAndFirstBatchAsync();
        Assert.That(welcome.ServerRevision, Is.EqualTo(first.Revision));
        Assert.That(batch[^1].Transferred.Revision, Is.EqualTo(first.Revision));
    }

    [Test]
    public void Open_NewFile_CreatesSchemaAtCurrentVersionInWalMode()
    {
        var dir = Directory.CreateTempSubdirectory("flagkit-db-");
        try
        {
            var path = Path.Combine(dir.FullName, "sub", "f.db");
            using (var db = FlagDatabase.Open(path, DateTimeOffset.UnixEpoch))
            {
                Assert.That(db.ReadSchemaVersion(), Is.EqualTo(FlagDatabase.CurrentSchemaVersion));
            }

            using var c = new SqliteConnection($"Data Source={path};Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode";
            Assert.That(cmd.ExecuteScalar(), Is.EqualTo("wal"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void Open_FileFromNewerServer_RefusedWithBothVersions()
    {
        var dir = Directory.CreateTempSubdirectory("flagkit-db-");
        try
        {
            var path = Path.Combine(dir.FullName, "f.db");
            FlagDatabase.Open(path, DateTimeOffset.UnixEpoch).Dispose();
            using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'future', 0)";
                cmd.ExecuteNonQuery();
            }

            var error = Assert.Throws<InvalidOperationException>(() => FlagDatabase.Open(path, DateTimeOffset.UnixEpoch));

            Assert.That(error!.Message, Does.Contain("schema version 99").And.Contain($"server's {FlagDatabase.CurrentSchemaVersion}"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public async Task History_UpdateOrDelete_RefusedByTheStore()
    {
        await using var server = await TestFlagServer.StartAsync();
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a")));

        using var c = new SqliteConnection($"Data Source={server.DataPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE history SET author = 'mallory'";

        var error = Assert.Throws<SqliteException>(() => cmd.ExecuteNonQuery());
        Assert.That(error!.Message, Does.Contain("immutable"));
    }

    [Test]
    public async Task ApiKeys_StoredOnlyAsHash()
    {
        await using var server = await TestFlagServer.StartAsync();
        var created = await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "k", Role = ApiKeyRole.Admin });
        await server.StopAsync();

        var bytes = await File.ReadAllBytesAsync(server.DataPath);
        var text = System.Text.Encoding.ASCII.GetString(bytes);

        Assert.That(text, Does.Not.Contain(created.Secret));
        Assert.That(text, Does.Not.Contain(TestFlagServer.AdminKey));
        Assert.ThrowsAsync<RpcException>(async () => await server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest(), deadline: DateTime.UtcNow.AddSeconds(2)));
    }
}
