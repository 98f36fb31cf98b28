using FlagKit.Protocol.V1;
using FlagKit.Server.Sync;

namespace FlagKit.Server.Tests.Replication;

/// <summary>
/// A server that restarts fills its change log from the documents it loads: an SDK resuming from a recent revision
/// gets a delta of exactly the documents changed since, not a snapshot. A real server on a real SQLite file, raw sync
/// streams.
/// </summary>
public sealed class ChangeLogSeedTests
{
    [Test]
    public async Task Restart_ResumeFromARecentRevision_DeltaOfTheDocumentsChangedSince()
    {
        await using var server = await TestFlagServer.StartAsync();
        foreach (var (key, on) in new[] { ("a", false), ("b", true), ("c", true), ("a", true), ("d", true) })
        {
            await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag(key, on)));
        }

        await server.Admin.ArchiveDocumentAsync(new ArchiveDocumentRequest { Environment = TestFlagServer.Environment, Kind = DocumentKind.Flag, Key = "b" });
        await server.RestartAsync();

        var fromThree = await FirstBatchAsync(server, lastRevision: 3);
        var fromFive = await FirstBatchAsync(server, lastRevision: 5);
        var current = await FirstBatchAsync(server, lastRevision: 6);

        Assert.That(fromThree.Select(m => m.KindCase), Does.Not.Contain(SyncResponse.KindOneofCase.Snapshot), "a delta, not a snapshot");
        Assert.That(Upserts(fromThree), Is.EquivalentTo(new[] { "a", "d" }), "a changed at 4, d at 5");
        Assert.That(Removed(fromThree), Is.EqualTo(new[] { "b" }), "b archived at 6");
        Assert.That(fromThree.Single(m => m.KindCase == SyncResponse.KindOneofCase.Transferred).Transferred.Revision, Is.EqualTo(6));
        Assert.That((Upserts(fromFive), Removed(fromFive)), Is.EqualTo((Array.Empty<string>(), new[] { "b" })));
        Assert.That(Upserts(current).Concat(Removed(current)), Is.Empty);
        Assert.That(server.GetService<HubRegistry>().GetOrAdd(TestFlagServer.Environment).ChangeLogLength, Is.EqualTo(4), "one entry per revision that is some document's latest: 3 (c), 4 (a), 5 (d), 6 (b archived)");
    }

    [Test]
    public async Task Restart_ResumeFromBeforeTheLogsReach_Snapshot()
    {
        var settings = new Dictionary<string, string?> { ["FlagKit:Server:ChangeLogCapacity"] = "2" };
        await using var server = await TestFlagServer.StartAsync(settings);
        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag(key, on: true)));
        }

        await server.RestartAsync();

        var tooOld = await FirstBatchAsync(server, lastRevision: 1);
        var inReach = await FirstBatchAsync(server, lastRevision: 2);

        Assert.That(tooOld.Count(m => m.KindCase == SyncResponse.KindOneofCase.Snapshot), Is.GreaterThan(0), "revision 1 is older than the log's 2 revisions");
        Assert.That(Upserts(inReach), Is.EquivalentTo(new[] { "c", "d" }));
    }

    private static async Task<List<SyncResponse>> FirstBatchAsync(TestFlagServer server, long lastRevision)
    {
        using var stream = await SyncStream.OpenAsync(server.CreateSyncClient(), lastRevision);
        var (_, batch) = await stream.ReadWelcomeAndFirstBatchAsync();
        return batch;
    }

    private static string[] Upserts(List<SyncResponse> batch) =>
        batch.Where(m => m.KindCase == SyncResponse.KindOneofCase.Delta).SelectMany(m => m.Delta.Upserts).Select(d => d.Key).ToArray();

    private static string[] Removed(List<SyncResponse> batch) =>
        batch.Where(m => m.KindCase == SyncResponse.KindOneofCase.Delta).SelectMany(m => m.Delta.Removed).Select(d => d.Key).ToArray();
}
