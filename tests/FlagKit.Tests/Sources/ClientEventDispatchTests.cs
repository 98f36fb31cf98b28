using FlagKit.Sources;

namespace FlagKit.Tests.Sources;

/// <summary>
/// The client raises its events on a task of its own, in order, with no lock held: a handler that blocks does not
/// block the source that published, nor the next publish, nor a status change; a handler that throws is logged and
/// the next one still runs.
/// </summary>
public sealed class ClientEventDispatchTests
{
    private static FlagKit.Documents.FlagFile Flags() => TestDocuments.File(TestDocuments.FileJson(TestDocuments.BoolFlag("a") + "," + TestDocuments.BoolFlag("b")));

    [Test]
    public async Task FlagsChanged_HandlerBlocks_PublishesAndStatusGoOnAndEventsFollowInOrder()
    {
        var source = new InMemoryFlagSource(Flags());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        using var release = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        client.FlagsChanged += (_, _) => throw new InvalidOperationException("a buggy handler");
        client.FlagsChanged += (_, e) =>
        {
            seen.Enqueue("flags " + e.Revision);
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(10));
        };
        client.StatusChanged += (_, e) => seen.Enqueue("status " + e.Status);

        source.SetKilled("a");
        Assert.That(entered.Wait(TimeSpan.FromSeconds(5)), Is.True, "the handler runs");
        // While the handler blocks: the source publishes again and reports a status; neither waits for the handler.
        source.SetKilled("b");
        source.ReportStatus(FlagClientStatus.Stale, "connection lost");

        Assert.That(client.IsEnabled("b", defaultValue: true), Is.False, "the second publish is served at once");
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Stale));
        Assert.That(seen, Is.EqualTo(new[] { "flags 2" }), "later events wait their turn");
        release.Set();
        Assert.That(() => seen.Count, Is.EqualTo(3).After(5000, 10));
        Assert.That(seen, Is.EqualTo(new[] { "flags 2", "flags 3", "status Stale" }), "in the order of the changes");
    }
}
