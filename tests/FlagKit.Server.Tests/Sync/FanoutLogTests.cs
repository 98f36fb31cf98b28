using FlagKit.Protocol.V1;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Sync;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// The fan-out log (what the load harness reads durable → last stream written from): one line per published revision,
/// once every subscriber it was queued to has written it or ended; nothing tracked while the log is off.
/// </summary>
public sealed class FanoutLogTests
{
    [Test]
    public void Publish_EverySubscriberWritesOrEnds_LogsOnceWithTheLastWriteTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var log = new LinesLogger();
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024, metrics: null, fanoutLog: log, time: time);
        using var a = new SyncSubscriber(1, "k", 4);
        using var b = new SyncSubscriber(2, "k", 4);
        using var c = new SyncSubscriber(3, "k", 4);
        foreach (var s in new[] { a, b, c })
        {
            hub.Subscribe(s, 0);
            s.TryTake(out _);
        }

        hub.Publish(Change(1));
        a.TryTake(out var batch);
        time.Advance(TimeSpan.FromMilliseconds(7));
        batch!.Fanout!.Written();
        c.End(SubscriberEnd.ClientGone, "gone");
        Assert.That(log.Lines, Is.Empty, "b has not written it yet");

        b.TryTake(out _);
        time.Advance(TimeSpan.FromMilliseconds(5));
        batch.Fanout.Written();

        Assert.That(log.Lines, Has.Count.EqualTo(1));
        Assert.That(log.Lines[0], Does.StartWith(
            $"{ServerLogEvents.FanoutCompleted}: Fan-out of revision 1 in 'env': 2 streams written; published 2026-12-01T12:00:00.0000000+00:00, last written 2026-12-01T12:00:00.0120000+00:00; ")
            .And.Match(@"; collections meanwhile gen0 \d+, gen1 \d+, gen2 \d+, paused [\d.,]+ ms$"));
    }

    [Test]
    public void Publish_LogOff_TracksNothing()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024, fanoutLog: new LinesLogger(enabled: false));
        using var a = new SyncSubscriber(1, "k", 4);
        hub.Subscribe(a, 0);
        a.TryTake(out _);

        hub.Publish(Change(1));

        Assert.That(a.TryTake(out var batch) && batch.Fanout is null, Is.True);
    }

    private static RevisionChange Change(long revision) =>
        new(revision, "", [new Document { Kind = DocumentKind.Flag, Key = "f", Json = ByteString.CopyFromUtf8("{}") }], [], new HashSet<string>());

    private sealed class LinesLogger(bool enabled = true) : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => enabled;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{eventId.Id}: {formatter(state, exception)}");
    }
}
