using FlagKit.Protocol.V1;
using FlagKit.Server.Sync;
using Google.Protobuf;

namespace FlagKit.Server.Tests.Sync;

/// <summary>How the hub hands operating modes to its subscribers: ahead of the queue, latest only, never a drop.</summary>
public sealed class ModeHubTests
{
    [Test]
    public void PublishMode_ModeAwareSubscriber_GetsItAheadOfTheQueue()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        using var aware = new SyncSubscriber(1, "k", 4) { TakesModes = true };
        using var older = new SyncSubscriber(2, "k", 4);
        hub.Subscribe(aware, 0);
        hub.Subscribe(older, 0);

        hub.PublishMode(Mode(1));

        Assert.That(SyncResponse.Parser.ParseFrom(aware.TakePriority()!.Payload).Mode.Version, Is.EqualTo(1));
        Assert.That(aware.TakePriority(), Is.Null, "taken once");
        Assert.That(aware.QueuedBatches, Is.EqualTo(1), "only its first batch: the mode takes no room in the queue");
        Assert.That(older.TakePriority(), Is.Null);
        Assert.That(older.QueuedBatches, Is.EqualTo(1), "only its first batch");
        Assert.That(hub.Mode.Version, Is.EqualTo(1));
    }

    [Test]
    public void PublishMode_SeveralBeforeTheWriterTakesOne_OnlyTheLatestWaits()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        using var aware = new SyncSubscriber(1, "k", 4) { TakesModes = true };
        hub.Subscribe(aware, 0);

        hub.PublishMode(Mode(1));
        hub.PublishMode(Mode(2));
        hub.PublishMode(Mode(3));

        Assert.That(SyncResponse.Parser.ParseFrom(aware.TakePriority()!.Payload).Mode.Version, Is.EqualTo(3));
        Assert.That(aware.TakePriority(), Is.Null);
        Assert.That(aware.QueuedBatches, Is.EqualTo(1));
    }

    [Test]
    public void PublishMode_SubscriberQueueFull_IsNotDropped()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        using var full = new SyncSubscriber(1, "k", 1) { TakesModes = true };
        hub.Subscribe(full, 0);

        hub.PublishMode(Mode(1));

        Assert.That(full.EndReason, Is.EqualTo(SubscriberEnd.None));
        Assert.That(full.TakePriority(), Is.Not.Null, "the writer takes it before its next frame anyway");
    }

    [Test]
    public void PublishMode_OlderVersion_IsIgnored()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        hub.PublishMode(Mode(5));

        hub.PublishMode(Mode(4));

        Assert.That(hub.Mode.Version, Is.EqualTo(5));
    }

    private static ModeState Mode(long version) => new() { Version = version, Json = ByteString.CopyFromUtf8("{\"schema\":1}") };
}
