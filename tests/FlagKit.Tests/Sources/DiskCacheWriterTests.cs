using FlagKit.Sources.Caching;

namespace FlagKit.Tests.Sources;

/// <summary>The disk cache is written behind the sync loop: handing a snapshot over is immediate, a burst is coalesced.</summary>
public sealed class DiskCacheWriterTests
{
    private string _directory = "";

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("flagkit-diskcache-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task DiskCacheWriter_BurstWhileAWriteRuns_WritesOnlyTheLatestAfterIt()
    {
        var cache = new DiskSnapshotCache(Path.Combine(_directory, "c.cache"), "production", "http://server", TimeProvider.System);
        using var firstWriteStarted = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var written = new List<long>();
        var writer = new DiskCacheWriter(snapshot =>
        {
            if (written.Count == 0)
            {
                firstWriteStarted.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }

            cache.Write(snapshot.ToFile(), snapshot.Revision, snapshot.ContentHash);
            written.Add(snapshot.Revision);
        });

        writer.Schedule(Snapshot(1));
        Assert.That(firstWriteStarted.Wait(TimeSpan.FromSeconds(30)), Is.True);
        for (var revision = 2; revision <= 50; revision++)
        {
            writer.Schedule(Snapshot(revision));
        }

        release.Set();
        await writer.FlushAsync();

        Assert.That(written, Is.EqualTo(new long[] { 1, 50 }), "revisions 2..49 were replaced while revision 1 was being written");
        var load = cache.Load();
        Assert.That(load.IsUsable, Is.True, load.Problem);
        Assert.That(load.Header!.Revision, Is.EqualTo(50));
    }

    private static FlagSnapshot Snapshot(long revision) =>
        TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("f" + revision)), revision);
}
