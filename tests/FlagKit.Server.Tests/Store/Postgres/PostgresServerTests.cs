using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;
using FlagKit.Sources;
using FlagKit.Server.Tests.Sync;
using Google.Protobuf;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>The real server configured with <c>FlagKit:Server:Store = postgres</c>, serving writes to a real SDK over loopback gRPC.</summary>
public sealed class PostgresServerTests
{
    [Test]
    public async Task Write_PostgresStore_ReachesSdkAndSurvivesRestart()
    {
        var settings = new Dictionary<string, string?>
        {
            ["FlagKit:Server:Store"] = "postgres",
            ["FlagKit:Server:PostgresConnectionString"] = PostgresSetUp.Cluster.CreateDatabase("server"),
        };
        await using var server = await TestFlagServer.StartAsync(settings);
        Assert.That(server.GetService<IFlagStore>(), Is.TypeOf<PostgresFlagStore>());
        await using var client = new FlagClient(new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = TestFlagServer.Environment,
            AppName = "postgres-tests",
            StartTimeout = TimeSpan.FromSeconds(10),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        }));
        await client.StartAsync();

        var put = Put("pg-flag", idempotencyKey: "once");
        var first = await server.Admin.PutDocumentAsync(put);
        await SyncWait.UntilAsync(() => client.IsEnabled("pg-flag"), "the SDK sees the write committed to PostgreSQL");

        Assert.That(client.Snapshot.Revision, Is.EqualTo(first.Revision));
        Assert.That(File.Exists(server.DataPath), Is.False, "no SQLite file is created when the store is PostgreSQL");
        await server.RestartAsync();
        var replay = await server.Admin.PutDocumentAsync(put);
        Assert.That((replay.Replayed, replay.Revision), Is.EqualTo((true, first.Revision)), "the idempotent answer is kept in PostgreSQL across a restart");
        var history = await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment });
        Assert.That(history.Entries.Select(e => e.Key), Is.EqualTo(new[] { "pg-flag" }));
    }

    private static PutDocumentRequest Put(string key, string idempotencyKey) => new()
    {
        Environment = TestFlagServer.Environment,
        Kind = DocumentKind.Flag,
        Json = ByteString.CopyFromUtf8($$"""{ "key": "{{key}}", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
        Options = new WriteOptions { IdempotencyKey = idempotencyKey },
    };
}
