using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Sync;
using FlagKit.Server.Tests;

namespace FlagKit.Reliability.Tests.Intruders;

/// <summary>
/// Streams that resume from an old revision and never read: their first batch (the merged delta) is built once and
/// shared, and a resume whose delta would be as large as the snapshot gets the snapshot. Found by an outside attack:
/// each such stream built its own merged delta (≈ 8 MB each for 30 streams: +237 MB).
/// </summary>
/// <remarks>
/// The server runs in-process, so its managed heap is measured directly (<see cref="GC.GetTotalMemory(bool)"/>, after a
/// full collection); the 30 raw clients in the same process add their own HTTP/2 buffers to the figure.
/// </remarks>
[TestFixture]
public sealed class ResumeMemoryTests
{
    private const int Flags = 60;
    private const int Changed = 45;
    private const int Padding = 50_000;
    private const int Streams = 30;

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["FlagKit:Server:BatchChunkBytes"] = "65536",
        ["FlagKit:Server:MaxDocumentBytes"] = "65536",
    };

    [Test]
    public async Task ManyStreams_ResumingFromAnOldRevisionNeverReading_ShareOneDelta()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(Settings);
        WriteResponse old = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, Flags, Padding);
        await server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = TestFlagServer.Environment, FileJson = Generations.File(2, Changed, Padding) });
        EnvironmentHub hub = Hub(server);
        long deltaBytes = (long)Changed * Padding;

        // One resume first: its delta (≈ 2.3 MB) is what all the others would each build again.
        using SyncStream first = await SyncStream.OpenAsync(server.CreateSyncClient(), lastRevision: old.Revision, instanceId: "resume-first");
        await Wait.UntilAsync(() => hub.SubscriberCount == 1, "the first resume is subscribed");
        long before = Heap();
        var streams = new List<SyncStream>();
        for (int i = 0; i < Streams; i++)
        {
            streams.Add(await SyncStream.OpenAsync(server.CreateSyncClient(), lastRevision: old.Revision, instanceId: $"resume-{i}"));
        }

        await Wait.UntilAsync(() => hub.SubscriberCount == Streams + 1, "every resume is subscribed");
        await Wait.UntilAsync(() => server.GetService<InstanceRegistry>().List("").Count(x => x.SentRevision > 0) == Streams + 1, "every stream is being sent its delta");
        long grown = Heap() - before;
        TestContext.Out.WriteLine($"{Streams} resumes (a {deltaBytes / 1024} KB delta each, not read): managed heap +{grown / 1024} KB = {grown / Streams / 1024} KB per stream");

        // Before the fix: about one delta per stream (≈ +67 MB). Now: the transport's buffers of each stream only.
        Assert.That(grown, Is.LessThan(deltaBytes * Streams / 4), "the resumes share their delta");
        SyncResponse welcome = (await first.ReadAsync())!;
        Assert.That(welcome.KindCase, Is.EqualTo(SyncResponse.KindOneofCase.Welcome));
        Assert.That((await first.ReadBatchAsync())[0].KindCase, Is.EqualTo(SyncResponse.KindOneofCase.Delta), "a resume still gets a delta");
        streams.ForEach(s => s.Dispose());
    }

    [Test]
    public async Task Resume_DeltaLargerThanTheSnapshot_GetsTheSnapshot()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(Settings);
        WriteResponse old = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 4, Padding);

        // Every flag rewritten since: the net delta is as large as the snapshot.
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 2, 4, Padding);

        using SyncStream stream = await SyncStream.OpenAsync(server.CreateSyncClient(), lastRevision: old.Revision);
        (_, List<SyncResponse> batch) = await stream.ReadWelcomeAndFirstBatchAsync();

        Assert.That(batch[0].KindCase, Is.EqualTo(SyncResponse.KindOneofCase.Snapshot));
        Assert.That(batch.Where(m => m.KindCase == SyncResponse.KindOneofCase.Snapshot).Sum(m => m.Snapshot.Documents.Count), Is.EqualTo(4));
    }

    private static EnvironmentHub Hub(TestFlagServer server)
    {
        server.GetService<HubRegistry>().TryGet(TestFlagServer.Environment, out EnvironmentHub hub);
        return hub;
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
