using System.Collections.Concurrent;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using FlagKit.Sources;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>
/// Several real server processes on one real PostgreSQL cluster (initdb'd for this fixture), under faults: writes spread
/// over the replicas, SDKs spread over them, one replica killed with SIGKILL during a write burst, and PostgreSQL itself
/// restarted.
/// </summary>
[NonParallelizable]
public sealed class ReplicaFaultTests
{
    private const int Sdks = 60;
    private PostgresCluster? _cluster;

    private PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException("The PostgreSQL cluster is not running.");

    [OneTimeSetUp]
    public void StartCluster() => _cluster = PostgresCluster.Start();

    [OneTimeTearDown]
    public void StopCluster() => _cluster?.Dispose();

    [Test]
    public async Task ThreeReplicas_OneKilledDuringWriteBurst_SdksMoveAndEveryAcknowledgedWriteIsThereOnce()
    {
        var replicas = await StartReplicasAsync(Cluster.CreateDatabase("burst"), 3);
        var sdks = await Task.WhenAll(Enumerable.Range(0, Sdks).Select(_ => SdkClient.StartAsync(Options(replicas))));
        try
        {
            await Wait.UntilAsync(() => sdks.All(s => s.Client.Status == FlagClientStatus.Ready), () => $"{sdks.Count(s => s.Client.Status == FlagClientStatus.Ready)} of {Sdks} SDKs ready");
            var victim = replicas[0];
            var onVictim = sdks.Where(s => s.Source.CurrentServerUrl == victim.Address).ToList();
            Assert.That(replicas.Select(r => sdks.Count(s => s.Source.CurrentServerUrl == r.Address)), Has.All.GreaterThan(0), "the SDKs spread over all three replicas");

            // Three writers, one per replica; the first one's replica is killed after its 10th acknowledged write. A writer
            // whose call fails retries the same request (same idempotency key) on the next replica until it is answered.
            var acknowledged = new ConcurrentDictionary<string, WriteResponse>();
            var killAt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var killed = new ConcurrentDictionary<ServerProcess, bool>();
            var writers = Enumerable.Range(0, 3).Select(w => Task.Run(() => WriteBurstAsync(w, replicas, killed, acknowledged, w == 0 ? killAt : null))).ToList();
            await killAt.Task.WaitAsync(TimeSpan.FromSeconds(60));
            killed[victim] = true;
            victim.Kill();
            await Task.WhenAll(writers).WithDeadline("the write burst");

            var keys = Enumerable.Range(0, 3).SelectMany(w => Enumerable.Range(0, PerWriter).Select(n => Key(w, n))).ToList();
            Assert.That(acknowledged.Keys, Is.EquivalentTo(keys), "every write was acknowledged (by some replica)");
            var survivor = replicas[1];
            var history = await survivor.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment, Limit = 1000 });
            Assert.That(history.Entries.Select(e => e.Key), Is.EquivalentTo(keys), "every acknowledged write is stored, and none twice");
            Assert.That(acknowledged.Values.Select(a => a.Revision).Distinct().Count(), Is.EqualTo(keys.Count), "each write has a revision of its own");
            var final = (long)keys.Count;

            await Wait.UntilAsync(
                () => sdks.All(s => s.Client.Snapshot.Revision == final),
                () => $"every SDK at revision {final}; behind: {string.Join(", ", sdks.Where(s => s.Client.Snapshot.Revision != final).Select(s => $"{s.Source.CurrentServerUrl}@{s.Client.Snapshot.Revision}"))}");
            Assert.That(sdks.Select(s => s.Client.Snapshot.ContentHash).Distinct().Count(), Is.EqualTo(1), "all SDKs hold the same content");
            Assert.That(sdks.All(s => keys.All(k => s.Client.IsEnabled(k))), "nothing missed");
            Assert.That(onVictim.Select(s => s.Source.CurrentServerUrl), Has.None.EqualTo(victim.Address), "the killed replica's SDKs moved to the others");
            Assert.That(onVictim.Sum(s => s.Source.Diagnostics.Snapshots), Is.LessThan(onVictim.Count * 2), "most moved SDKs resumed without a second snapshot");
        }
        finally
        {
            await DisposeAllAsync(sdks, replicas);
        }
    }

    [Test]
    public async Task PostgresRestarted_ReplicasReconnectAndCatchUp()
    {
        var replicas = await StartReplicasAsync(Cluster.CreateDatabase("restart"), 2);
        var sdks = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
        {
            // Pinned: half on each replica, so that B's SDKs can only learn A's write through B.
            var options = SdkClient.Options(replicas[i % 2].Address, TestFlagServer.SdkKey, TestFlagServer.Environment);
            return SdkClient.StartAsync(options);
        }));
        try
        {
            await Wait.UntilAsync(() => sdks.All(s => s.Client.Status == FlagClientStatus.Ready), "every SDK ready");
            await WriteUntilAnsweredAsync([replicas[0]], Put("before-restart"));

            Cluster.Restart();
            var afterA = await WriteUntilAnsweredAsync([replicas[0]], Put("after-restart-a"));
            var afterB = await WriteUntilAnsweredAsync([replicas[1]], Put("after-restart-b"));

            var last = Math.Max(afterA.Revision, afterB.Revision);
            await Wait.UntilAsync(
                () => sdks.All(s => s.Client.Snapshot.Revision == last && s.Client.IsEnabled("after-restart-a") && s.Client.IsEnabled("after-restart-b")),
                "the SDKs on both replicas see the writes made on either after PostgreSQL restarted");
            Assert.That(last, Is.EqualTo(3));
        }
        finally
        {
            await DisposeAllAsync(sdks, replicas);
        }
    }

    private const int PerWriter = 40;

    private static string Key(int writer, int n) => $"w{writer}-{n}";

    private static async Task WriteBurstAsync(
        int writer, ServerProcess[] replicas, ConcurrentDictionary<ServerProcess, bool> killed, ConcurrentDictionary<string, WriteResponse> acknowledged, TaskCompletionSource? killAt)
    {
        for (var n = 0; n < PerWriter; n++)
        {
            var preferred = replicas.Skip(writer).Concat(replicas.Take(writer)).ToArray();
            acknowledged[Key(writer, n)] = await WriteUntilAnsweredAsync(preferred, Put(Key(writer, n)), killed);
            if (n == 10)
            {
                killAt?.TrySetResult();
            }
        }
    }

    /// <summary>Sends the write to the first replica, and on failure the same request (same idempotency key) to the next, until one answers.</summary>
    private static async Task<WriteResponse> WriteUntilAnsweredAsync(ServerProcess[] replicas, PutDocumentRequest put, ConcurrentDictionary<ServerProcess, bool>? killed = null)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            var replica = replicas[attempt % replicas.Length];
            if (killed?.ContainsKey(replica) == true)
            {
                continue;
            }

            try
            {
                return await replica.Admin.PutDocumentAsync(put, deadline: System.DateTime.UtcNow.AddSeconds(10));
            }
            catch (RpcException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }
        }
    }

    private static PutDocumentRequest Put(string key) => new()
    {
        Environment = TestFlagServer.Environment,
        Kind = DocumentKind.Flag,
        Json = ByteString.CopyFromUtf8($$"""{ "key": "{{key}}", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
        Options = new Protocol.V1.WriteOptions { IdempotencyKey = "put-" + key },
    };

    private static GrpcFlagSourceOptions Options(ServerProcess[] replicas)
    {
        var options = SdkClient.Options(replicas[0].Address, TestFlagServer.SdkKey, TestFlagServer.Environment);
        options.ServerUrl = null;
        foreach (var r in replicas)
        {
            options.ServerUrls.Add(r.Address);
        }

        return options;
    }

    private static async Task<ServerProcess[]> StartReplicasAsync(string connectionString, int count)
    {
        var settings = new Dictionary<string, string>
        {
            ["FlagKit:Server:Store"] = "postgres",
            ["FlagKit:Server:PostgresConnectionString"] = connectionString,
            ["FlagKit:Server:ReplicaPollInterval"] = "00:00:01",
        };

        // Together, on an empty database: migrations, the default environment and the bootstrap keys are made once.
        return await Task.WhenAll(Enumerable.Range(0, count).Select(_ => ServerProcess.StartAsync(settings)));
    }

    private static async Task DisposeAllAsync(SdkClient[] sdks, ServerProcess[] replicas)
    {
        await Task.WhenAll(sdks.Select(s => s.DisposeAsync().AsTask()));
        foreach (var r in replicas)
        {
            await r.DisposeAsync();
        }
    }
}
