using FlagKit.Protocol.V1;
using FlagKit.Server.Replication;
using FlagKit.Server.Tests.Sync;
using Npgsql;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>
/// <c>ListInstances</c> across replicas: two real servers on one real PostgreSQL database, a real SDK on each. Either
/// replica lists both SDKs and what each applied (what <c>flagkit status --wait</c> waits on); a replica that stops or
/// dies drops out of the list.
/// </summary>
public sealed class FleetInstancesTests
{
    private const string Env = TestFlagServer.Environment;

    [Test]
    public async Task ListInstances_SdksOnTwoReplicas_EitherListsBothWithTheRevisionEachApplied()
    {
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromSeconds(1));
        await using var onA = await ReplicaTests.StartSdkAsync(pair.A.Address);
        await using var onB = await ReplicaTests.StartSdkAsync(pair.B.Address);

        var put = await pair.A.Admin.PutDocumentAsync(ReplicaTests.Put("fleet", on: true));
        foreach (var replica in new[] { pair.A, pair.B })
        {
            await SyncWait.UntilAsync(
                () => Applied(replica, put.Revision) == 2,
                $"the replica on {replica.Address} lists both SDKs as having applied revision {put.Revision}");
        }

        var listed = await pair.A.Admin.ListInstancesAsync(new ListInstancesRequest { Environment = Env });
        Assert.That(listed.Instances, Has.Count.EqualTo(2), "each SDK once");
        Assert.That(listed.EnvironmentRevision, Is.EqualTo(put.Revision));
    }

    [Test]
    public async Task ListInstances_ReplicaStopsOrDies_ItsSdksDropOut()
    {
        // Rows expire after three polls (6 s): long enough for a busy machine to list the dead row before it expires.
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromSeconds(2));
        await using var onA = await ReplicaTests.StartSdkAsync(pair.A.Address);
        await using var onB = await ReplicaTests.StartSdkAsync(pair.B.Address);
        await SyncWait.UntilAsync(() => Count(pair.A) == 2, "A lists both SDKs");
        var fleet = pair.A.GetService<FleetInstances>();

        // A replica that died: its row stays, unrenewed (here: written back as B left it, with its old time).
        byte[] bRow;
        await using (var db = new NpgsqlConnection(pair.ConnectionString))
        {
            await db.OpenAsync();
            await using var read = new NpgsqlCommand($"SELECT instances FROM replica_instances WHERE replica <> '{fleet.Replica}'", db);
            bRow = (byte[])(await read.ExecuteScalarAsync())!;
        }

        await pair.B.StopAsync();
        Assert.That(Count(pair.A), Is.EqualTo(1), "a replica that stops deletes its row at once");

        await using (var db = new NpgsqlConnection(pair.ConnectionString))
        {
            await db.OpenAsync();
            await using var write = new NpgsqlCommand("INSERT INTO replica_instances (replica, instances, updated_at) VALUES ('dead-replica', @i, @t)", db);
            write.Parameters.AddWithValue("i", bRow);
            write.Parameters.AddWithValue("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await write.ExecuteNonQueryAsync();
        }

        Assert.That(Count(pair.A), Is.EqualTo(2), "a dead replica's last row is listed until it expires");
        await SyncWait.UntilAsync(() => Count(pair.A) == 1, $"the dead replica's row expires after {fleet.ExpireAfter}");
    }

    private static int Count(TestFlagServer replica) =>
        replica.Admin.ListInstances(new ListInstancesRequest { Environment = Env }).Instances.Count;

    private static int Applied(TestFlagServer replica, long revision) =>
        replica.Admin.ListInstances(new ListInstancesRequest { Environment = Env }).Instances.Count(i => i.AckedRevision >= revision);
}
