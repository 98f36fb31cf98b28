using FlagKit.Server.Tests.Sync;
using FlagKit.Sources;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>
/// A replica that restarts fills its change log from the store: a real SDK that held an older revision resumes there
/// with a delta. Two real servers on one real PostgreSQL database.
/// </summary>
public sealed class ChangeLogSeedReplicaTests
{
    [Test]
    public async Task ReplicaRestartsWhileOthersWrite_SdkResumesThereWithADelta()
    {
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromSeconds(1));
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = pair.B.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = TestFlagServer.Environment,
            AppName = "seed-tests",
            StartTimeout = TimeSpan.FromSeconds(10),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(300),
        });
        await using var sdk = new FlagClient(source);
        await sdk.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await pair.A.Admin.PutDocumentAsync(ReplicaTests.Put($"before-{i}", on: true));
        }

        await SyncWait.UntilAsync(() => sdk.Snapshot.Revision == 3, "the SDK on B holds revision 3");

        // B goes down (a deploy); A takes writes meanwhile; B comes back with an empty change log but for the fix.
        await pair.B.StopAsync();
        await pair.A.Admin.PutDocumentAsync(ReplicaTests.Put("during", on: true));
        var last = await pair.A.Admin.PutDocumentAsync(ReplicaTests.Put("before-0", on: false));
        await pair.B.RestartAsync();
        await SyncWait.UntilAsync(() => sdk.Snapshot.Revision == last.Revision, "the SDK resumes on the restarted replica");

        Assert.That(source.Diagnostics.Snapshots, Is.EqualTo(1), "only the first batch was a snapshot: the restarted replica resumed revision 3 with a delta");
        Assert.That((sdk.IsEnabled("during"), sdk.IsEnabled("before-0"), sdk.IsEnabled("before-1")), Is.EqualTo((true, false, true)));
    }
}
