using FlagKit.Server.Tests.Sync;
using FlagKit.Sources;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>A real SDK given the addresses of two real replicas on one PostgreSQL database: losing one, it moves to the other.</summary>
public sealed class FailoverTests
{
    [Test]
    public async Task ReplicaStops_SdkWithBothAddresses_MovesAndResumesWithoutSnapshot()
    {
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromSeconds(1));
        var options = new GrpcFlagSourceOptions
        {
            ApiKey = TestFlagServer.SdkKey,
            Environment = TestFlagServer.Environment,
            AppName = "failover-tests",
            StartTimeout = TimeSpan.FromSeconds(10),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(300),
        };
        options.ServerUrls.Add(pair.A.Address);
        options.ServerUrls.Add(pair.B.Address);
        var source = new GrpcFlagSource(options);
        await using var sdk = new FlagClient(source);
        await sdk.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await pair.A.Admin.PutDocumentAsync(ReplicaTests.Put($"before-{i}", on: true));
        }

        await SyncWait.UntilAsync(() => sdk.Snapshot.Revision == 3, "the SDK holds revision 3");
        var (lost, kept) = source.CurrentServerUrl == pair.A.Address ? (pair.A, pair.B) : (pair.B, pair.A);

        await lost.StopAsync();
        var after = await kept.Admin.PutDocumentAsync(ReplicaTests.Put("after", on: true));
        await SyncWait.UntilAsync(() => sdk.IsEnabled("after"), "the SDK follows the replica that is left");

        Assert.That(source.CurrentServerUrl, Is.EqualTo(kept.Address));
        Assert.That(source.Diagnostics.ServerMoves, Is.GreaterThanOrEqualTo(1));
        Assert.That(source.Diagnostics.Snapshots, Is.EqualTo(1), "only the first batch was a snapshot: the other replica resumed from revision 3");
        Assert.That(sdk.Snapshot.Revision, Is.EqualTo(after.Revision));
        Assert.That(Enumerable.Range(0, 3).All(i => sdk.IsEnabled($"before-{i}")));
    }

    [Test]
    public void ServerUrls_OneNotAbsolute_RefusedNamingIt()
    {
        var options = new GrpcFlagSourceOptions { ApiKey = "k", Environment = "e" };
        options.ServerUrls.Add(new Uri("http://127.0.0.1:5080"));
        options.ServerUrls.Add(new Uri("flags-2", UriKind.Relative));

        var refused = Assert.Throws<ArgumentException>(() => _ = new GrpcFlagSource(options));

        Assert.That(refused!.Message, Does.StartWith("GrpcFlagSourceOptions.ServerUrls[1] must be an absolute http:// or https:// address; it is 'flags-2'."));
    }
}
