using FlagKit.Protocol.V1;
using FlagKit.Server.Sync;
using Google.Protobuf;

namespace FlagKit.Server.Tests.Sync;

public sealed class EnvironmentHubTests
{
    [Test]
    public void Publish_ToSubscribers_SharesOneSerializedBatch()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        using var a = new SyncSubscriber(1, "k", 4);
        using var b = new SyncSubscriber(2, "k", 4);
        hub.Subscribe(a, 0);
        hub.Subscribe(b, 0);
        a.TryTake(out _);
        b.TryTake(out _);

        hub.Publish(Change(1, Doc("f")));

        Assert.That(a.TryTake(out var fromA) && b.TryTake(out var fromB) && ReferenceEquals(fromA.Frames[0], fromB.Frames[0]), Is.True);
    }

    [Test]
    public void Publish_SubscriberQueueFull_EndsItWithResyncAndForgetsIt()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        using var slow = new SyncSubscriber(1, "k", 2);
        hub.Subscribe(slow, 0);

        hub.Publish(Change(1, Doc("a")));
        hub.Publish(Change(2, Doc("b")));

        Assert.That(slow.EndReason, Is.EqualTo(SubscriberEnd.Resync));
        Assert.That(slow.EndMessage, Does.Contain("more than 2 batches"));
        Assert.That(slow.QueuedBatches, Is.Zero, "its queue is released");
        Assert.That(hub.SubscriberCount, Is.Zero);
        Assert.That(hub.DroppedSubscribers, Is.EqualTo(1));
    }

    [Test]
    public void Subscribe_LastRevisionInLog_GetsNetDeltaOfMissedRevisions()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        hub.Publish(Change(1, Doc("a")));
        hub.Publish(Change(2, Doc("a", "v2"), Doc("b")));
        hub.Publish(Change(3, removed: "b"));
        using var s = new SyncSubscriber(1, "k", 4);

        var (revision, full) = hub.Subscribe(s, 1);

        Assert.That((revision, full), Is.EqualTo((3L, false)));
        s.TryTake(out var batch);
        var delta = SyncResponse.Parser.ParseFrom(batch!.Frames[0].Payload).Delta;
        Assert.That((delta.FromRevision, delta.ToRevision), Is.EqualTo((1L, 3L)));
        Assert.That(delta.Upserts.Select(d => d.Json.ToStringUtf8()), Is.EqualTo(new[] { "v2" }));
        Assert.That(delta.Removed.Select(r => r.Key), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public void Subscribe_LastRevisionTrimmedFromLog_GetsSnapshot()
    {
        var hub = new EnvironmentHub("env", logCapacity: 2, chunkBytes: 1024 * 1024);
        for (var r = 1; r <= 5; r++)
        {
            hub.Publish(Change(r, Doc("f" + r)));
        }

        using var s = new SyncSubscriber(1, "k", 4);

        var (_, full) = hub.Subscribe(s, 1);

        Assert.That(full, Is.True);
        Assert.That(hub.ChangeLogLength, Is.EqualTo(2));
    }

    [Test]
    public void Publish_RevisionNotNext_Refused()
    {
        var hub = new EnvironmentHub("env", logCapacity: 2, chunkBytes: 1024 * 1024);

        Assert.Throws<InvalidOperationException>(() => hub.Publish(Change(2, Doc("a"))));
    }

    [Test]
    public void Subscribe_ManyAtTheSameOldRevision_ShareOneMergedDelta()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024);
        hub.Publish(Change(1, Doc("a"), Doc("b"), Doc("c")));
        hub.Publish(Change(2, Doc("a", "v2")));
        hub.Publish(Change(3, Doc("b", "v3")));
        var batches = new List<SyncBatch>();
        for (var i = 0; i < 5; i++)
        {
            using var s = new SyncSubscriber(i, "k", 4);
            Assert.That(hub.Subscribe(s, 1).FullSnapshot, Is.False);
            s.TryTake(out var batch);
            batches.Add(batch!);
        }

        Assert.That(batches.Distinct().Count(), Is.EqualTo(1), "one batch object, built once");
        hub.Publish(Change(4, Doc("c", "v4")));
        using var later = new SyncSubscriber(9, "k", 4);
        hub.Subscribe(later, 1);
        later.TryTake(out var after);
        Assert.That(after, Is.Not.SameAs(batches[0]), "a publish forgets the cached deltas");
        Assert.That(SyncResponse.Parser.ParseFrom(after!.Frames[0].Payload).Delta.ToRevision, Is.EqualTo(4));
    }

    [Test]
    public void Subscribe_DeltaOverAChunkAndAsLargeAsTheSnapshot_GetsTheSharedSnapshot()
    {
        var big = new string('x', 2000);
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024);
        hub.Publish(Change(1, Doc("a", big), Doc("b", big)));
        hub.Publish(Change(2, Doc("a", big + "2"), Doc("b", big + "2")));
        using var s = new SyncSubscriber(1, "k", 4);

        var (revision, full) = hub.Subscribe(s, 1);

        Assert.That((revision, full), Is.EqualTo((2L, true)));
    }

    private static Document Doc(string key, string json = "{}") =>
        new() { Kind = DocumentKind.Flag, Key = key, Json = ByteString.CopyFromUtf8(json) };

    private static RevisionChange Change(long revision, params Document[] upserts) => new(revision, "", upserts, [], new HashSet<string>());

    private static RevisionChange Change(long revision, string removed) =>
        new(revision, "", [], [new DocumentRef { Kind = DocumentKind.Flag, Key = removed }], new HashSet<string>());
}
