using System.Diagnostics.Metrics;
using FlagKit.Protocol.V1;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Sync;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Metrics;

/// <summary>
/// The fan-out clock on a hub with real subscribers and a fake clock: the sample is the time to the last stream that
/// wrote the change, whatever order they finish in; a stream dropped with the change still queued does not hold it.
/// </summary>
public sealed class MetricsFanOutTests
{
    private readonly FakeTimeProvider _time = new();
    private ServiceProvider _services = null!;
    private ServerMetrics _metrics = null!;
    private MetricsRecorder _recorder = null!;
    private readonly List<SyncSubscriber> _subscribers = [];

    [SetUp]
    public void SetUp()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _metrics = new ServerMetrics(_services.GetRequiredService<IMeterFactory>(), _time);
        _recorder = new MetricsRecorder(_metrics.Meter);
    }

    [TearDown]
    public async Task TearDown()
    {
        _subscribers.ForEach(s => s.Dispose());
        _subscribers.Clear();
        _recorder.Dispose();
        await _services.DisposeAsync();
    }

    [Test]
    public void Publish_ThreeStreamsWriteAtDifferentTimes_OneSampleToTheLastWrite()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024, _metrics);
        var streams = Enumerable.Range(1, 3).Select(i => Subscribe(hub, i)).ToList();

        hub.Publish(Change(1));
        var batches = streams.Select(s => Take(s)).ToList();
        _time.Advance(TimeSpan.FromMilliseconds(7));
        batches[2].FanOut!.Written();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        batches[0].FanOut!.Written();
        Assert.That(_recorder.Values("flagkit.server.fanout.duration"), Is.Empty, "one stream has not written it yet");
        _time.Advance(TimeSpan.FromMilliseconds(3));
        batches[1].FanOut!.Written();

        Assert.That(_recorder.Values("flagkit.server.fanout.duration", (ServerMetrics.EnvironmentTag, "env")), Is.EqualTo(new[] { 0.015 }).Within(1e-9));
    }

    [Test]
    public void Publish_StreamDroppedWithTheChangeQueued_SampleIsTheOthersLastWrite()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024, _metrics);
        var reader = Subscribe(hub, 1);
        var stuck = Subscribe(hub, 2);

        hub.Publish(Change(1));
        var batch = Take(reader);
        _time.Advance(TimeSpan.FromMilliseconds(4));
        batch.FanOut!.Written();
        _time.Advance(TimeSpan.FromSeconds(30));
        stuck.End(SubscriberEnd.Resync, "fell behind");

        Assert.That(_recorder.Values("flagkit.server.fanout.duration"), Is.EqualTo(new[] { 0.004 }).Within(1e-9));
    }

    [Test]
    public void Publish_NoStreamWritesIt_NotSampled()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024, _metrics);
        var gone = Subscribe(hub, 1);

        hub.Publish(Change(1));
        hub.Publish(Change(2));
        gone.End(SubscriberEnd.ClientGone, "closed");

        Assert.That(_recorder.Values("flagkit.server.fanout.duration"), Is.Empty);
    }

    [Test]
    public void Publish_NothingListens_NoClockAttached()
    {
        _recorder.Dispose();
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024, _metrics);
        var stream = Subscribe(hub, 1);

        hub.Publish(Change(1));

        Assert.That(Take(stream).FanOut, Is.Null);
    }

    private SyncSubscriber Subscribe(EnvironmentHub hub, int id)
    {
        var subscriber = new SyncSubscriber(id, "k", 4);
        _subscribers.Add(subscriber);
        hub.Subscribe(subscriber, 0);
        subscriber.TryTake(out _);
        return subscriber;
    }

    private static SyncBatch Take(SyncSubscriber subscriber)
    {
        Assert.That(subscriber.TryTake(out var batch), Is.True);
        return batch!;
    }

    private static RevisionChange Change(long revision) =>
        new(revision, "", [new Document { Kind = DocumentKind.Flag, Key = "f" + revision, Json = ByteString.CopyFromUtf8("{}") }], [], new HashSet<string>());
}
