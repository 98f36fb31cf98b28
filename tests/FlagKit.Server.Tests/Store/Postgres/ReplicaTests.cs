using FlagKit.Protocol.V1;
using FlagKit.Server.Replication;
using FlagKit.Server.Store.Postgres;
using FlagKit.Server.Sync;
using FlagKit.Server.Tests.Sync;
using FlagKit.Sources;
using Google.Protobuf;
using Grpc.Core;
using Npgsql;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>
/// Two real servers (in-process, each with its own port, hubs and listener) on one real PostgreSQL database: writes on
/// either, SDKs on either, and what each learns of the other's commits, environments and keys.
/// </summary>
public sealed class ReplicaTests
{
    [Test]
    public async Task Write_OnOneReplica_ReachesSdkOnTheOtherThroughNotify()
    {
        // A poll interval far beyond the wait: only the NOTIFY hint can deliver in time.
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromMinutes(5));
        await using var sdk = await StartSdkAsync(pair.B.Address);

        var put = await pair.A.Admin.PutDocumentAsync(Put("from-a", on: true));
        await SyncWait.UntilAsync(() => sdk.IsEnabled("from-a"), "the SDK on replica B sees the write committed on replica A");

        Assert.That(sdk.Snapshot.Revision, Is.EqualTo(put.Revision));
        Assert.That(pair.B.GetService<HubRegistry>().GetOrAdd(TestFlagServer.Environment).Revision, Is.EqualTo(put.Revision));
        Assert.That(pair.B.GetService<ReplicaListener>().Hints, Is.GreaterThan(0));
    }

    [Test]
    public async Task Writes_OnBothReplicasAtOnce_AllCommitInOneRevisionOrder()
    {
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromMinutes(5));
        await using var sdkA = await StartSdkAsync(pair.A.Address);
        await using var sdkB = await StartSdkAsync(pair.B.Address);
        const int PerReplica = 15;

        // Each replica's writers race the other replica's: most commits on one find the revision taken by the other.
        var writes = Enumerable.Range(0, PerReplica).SelectMany(i => new[]
        {
            pair.A.Admin.PutDocumentAsync(Put($"a-{i}", on: true)).ResponseAsync,
            pair.B.Admin.PutDocumentAsync(Put($"b-{i}", on: true)).ResponseAsync,
        }).ToList();
        var answers = await Task.WhenAll(writes);

        Assert.That(answers.Select(a => a.Revision).Order(), Is.EqualTo(Enumerable.Range(1, 2 * PerReplica).Select(r => (long)r)),
            "every write committed, each at a revision of its own, none lost or doubled");
        var last = 2L * PerReplica;
        await SyncWait.UntilAsync(() => sdkA.Snapshot.Revision == last && sdkB.Snapshot.Revision == last, "both SDKs reach the last revision");
        Assert.That(sdkA.Snapshot.ContentHash, Is.EqualTo(sdkB.Snapshot.ContentHash));
        Assert.That(Enumerable.Range(0, PerReplica).All(i => sdkA.IsEnabled($"a-{i}") && sdkA.IsEnabled($"b-{i}") && sdkB.IsEnabled($"a-{i}") && sdkB.IsEnabled($"b-{i}")));
    }

    [Test]
    public async Task SameIdempotencyKey_OnBothReplicasAtOnce_AppliedOnceAndBothAnswerTheSame()
    {
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromMinutes(5));
        for (var round = 0; round < 10; round++)
        {
            var put = Put($"idem-{round}", on: true);
            put.Options = new FlagKit.Protocol.V1.WriteOptions { IdempotencyKey = $"key-{round}" };
            var answers = await Task.WhenAll(pair.A.Admin.PutDocumentAsync(put).ResponseAsync, pair.B.Admin.PutDocumentAsync(put).ResponseAsync);

            Assert.That(answers.Select(a => a.Revision).Distinct().Count(), Is.EqualTo(1), $"round {round}: one revision answered");
            Assert.That(answers.Count(a => a.Replayed), Is.EqualTo(1), $"round {round}: one applied, one replayed");
        }

        var history = await pair.A.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment, Limit = 100 });
        Assert.That(history.Entries, Has.Count.EqualTo(10), "each idempotent write applied once");
    }

    [Test]
    public async Task EnvironmentAndKeys_MadeOnOneReplica_AreLearntByTheOther()
    {
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromMinutes(5));
        await pair.A.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = "staging" });
        var key = await pair.A.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "staging sdk", Role = ApiKeyRole.Sdk, Environment = "staging" });
        await pair.A.Admin.PutDocumentAsync(Put("staged", on: true, environment: "staging"));

        await using var sdk = await StartSdkAsync(pair.B.Address, key.Secret, "staging");
        await SyncWait.UntilAsync(() => sdk.IsEnabled("staged"), "an SDK with a key made on A reads an environment made on A, from B");

        await pair.A.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = key.Key.Id });
        var call = new FlagAdmin.FlagAdminClient(pair.B.CallInvoker(key.Secret));
        await SyncWait.UntilAsync(() => pair.B.GetService<FlagKit.Server.Auth.ApiKeyRegistry>().FindLive(key.Key.Id) is null, "B learns the revocation");
        var refused = Assert.ThrowsAsync<RpcException>(async () => await call.ListEnvironmentsAsync(new ListEnvironmentsRequest()));
        Assert.That(refused!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        await SyncWait.UntilAsync(() => pair.B.GetService<HubRegistry>().GetOrAdd("staging").SubscriberCount == 0, "B ends the stream of the revoked key");
    }

    [Test]
    public async Task ListenerBackendTerminated_WriteOnOtherReplica_StillReachesSdk()
    {
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromSeconds(1));
        await using var sdk = await StartSdkAsync(pair.B.Address);
        var listener = pair.B.GetService<ReplicaListener>();
        await SyncWait.UntilAsync(() => listener.IsListening, "B listens");

        await using (var admin = new NpgsqlConnection(pair.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand(
                $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{ReplicationChannel.ListenerApplicationName}' AND datname = current_database()", admin);
            Assert.That(Convert.ToInt64(await kill.ExecuteScalarAsync()), Is.EqualTo(2), "both replicas' listener backends were terminated");
        }

        var put = await pair.A.Admin.PutDocumentAsync(Put("after-kill", on: true));
        await SyncWait.UntilAsync(() => sdk.IsEnabled("after-kill"), "the write reaches B's SDK although B's listener was cut");
        Assert.That(sdk.Snapshot.Revision, Is.EqualTo(put.Revision));
        await SyncWait.UntilAsync(() => listener.Connects >= 2, "B's listener reconnects");
    }

    internal static PutDocumentRequest Put(string key, bool on, string environment = TestFlagServer.Environment) => new()
    {
        Environment = environment,
        Kind = DocumentKind.Flag,
        Json = ByteString.CopyFromUtf8($$"""{ "key": "{{key}}", "kind": "bool", "on": {{(on ? "true" : "false")}}, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
    };

    internal static async Task<FlagClient> StartSdkAsync(Uri address, string key = TestFlagServer.SdkKey, string environment = TestFlagServer.Environment)
    {
        var client = new FlagClient(new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = address,
            ApiKey = key,
            Environment = environment,
            AppName = "replica-tests",
            StartTimeout = TimeSpan.FromSeconds(10),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(300),
        }));
        await client.StartAsync();
        return client;
    }
}

/// <summary>Two in-process replicas on one fresh database (A starts first and creates the schema; B starts on it).</summary>
internal sealed class ReplicaPair : IAsyncDisposable
{
    private ReplicaPair(string connectionString, TestFlagServer a, TestFlagServer b)
    {
        ConnectionString = connectionString;
        A = a;
        B = b;
    }

    public string ConnectionString { get; }

    public TestFlagServer A { get; }

    public TestFlagServer B { get; }

    public static async Task<ReplicaPair> StartAsync(TimeSpan poll)
    {
        var connectionString = PostgresSetUp.Cluster.CreateDatabase("replicas");
        var settings = Settings(connectionString, poll);
        var servers = await Task.WhenAll(TestFlagServer.StartAsync(settings), TestFlagServer.StartAsync(settings));
        return new ReplicaPair(connectionString, servers[0], servers[1]);
    }

    public static Dictionary<string, string?> Settings(string connectionString, TimeSpan poll) => new()
    {
        ["FlagKit:Server:Store"] = "postgres",
        ["FlagKit:Server:PostgresConnectionString"] = connectionString,
        ["FlagKit:Server:ReplicaPollInterval"] = poll.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    };

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
