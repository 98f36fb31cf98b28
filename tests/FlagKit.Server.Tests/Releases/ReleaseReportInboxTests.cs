using FlagKit.Server.Releases;
using FlagKit.Telemetry;

namespace FlagKit.Server.Tests.Releases;

public class ReleaseReportInboxTests
{
    private static ReleaseReport Report(string flag, string instance = "i1", long requests = 10) =>
        new(instance, flag, "on", requests, requests, 0, new LatencyHistogram());

    [Test]
    public void Post_UnwatchedFlag_IsDiscardedWithoutCountingAsDropped()
    {
        var inbox = new ReleaseReportInbox();

        Assert.That(inbox.Post("prod", Report("checkout")), Is.False);
        Assert.That(inbox.Dropped, Is.Zero);
        Assert.That(inbox.Take("prod", "checkout"), Is.Empty);
    }

    [Test]
    public void Take_WatchedFlag_ReturnsReportsOnceInArrivalOrder()
    {
        var inbox = new ReleaseReportInbox();
        inbox.Watch("prod", "checkout");
        inbox.Post("prod", Report("checkout", "a"));
        inbox.Post("prod", Report("checkout", "b"));
        inbox.Post("qa", Report("checkout", "c"));

        var taken = inbox.Take("prod", "checkout");

        Assert.That(taken.Select(r => r.Instance), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(inbox.Take("prod", "checkout"), Is.Empty);
    }

    [Test]
    public void Discard_WatchedFlag_EmptiesOnlyThatBoxAndFreesItsCapacity()
    {
        var inbox = new ReleaseReportInbox(capacityPerFlag: 2);
        inbox.Watch("prod", "checkout");
        inbox.Watch("prod", "bonus");
        inbox.Post("prod", Report("checkout", "a"));
        inbox.Post("prod", Report("checkout", "b"));
        inbox.Post("prod", Report("bonus", "c"));

        Assert.That(inbox.Discard("prod", "checkout"), Is.EqualTo(2));
        Assert.That(inbox.Discard("prod", "unwatched"), Is.Zero);
        Assert.That(inbox.Post("prod", Report("checkout", "d")), Is.True, "the discarded reports no longer hold the box's capacity");
        Assert.That(inbox.Take("prod", "checkout").Select(r => r.Instance), Is.EqualTo(new[] { "d" }));
        Assert.That(inbox.Take("prod", "bonus").Select(r => r.Instance), Is.EqualTo(new[] { "c" }));
    }

    [Test]
    public void Post_FullBox_DropsAndCountsUntilTaken()
    {
        var inbox = new ReleaseReportInbox(capacityPerFlag: 2);
        inbox.Watch("prod", "checkout");

        var kept = Enumerable.Range(0, 5).Count(i => inbox.Post("prod", Report("checkout", $"i{i}")));

        Assert.That(kept, Is.EqualTo(2));
        Assert.That(inbox.Dropped, Is.EqualTo(3));
        Assert.That(inbox.Take("prod", "checkout"), Has.Count.EqualTo(2));
        Assert.That(inbox.Post("prod", Report("checkout")), Is.True);
    }

    [Test]
    public void Unwatch_DiscardsPendingReports()
    {
        var inbox = new ReleaseReportInbox();
        inbox.Watch("prod", "checkout");
        inbox.Post("prod", Report("checkout"));

        inbox.Unwatch("prod", "checkout");

        Assert.That(inbox.IsWatched("prod", "checkout"), Is.False);
        Assert.That(inbox.Take("prod", "checkout"), Is.Empty);
    }

    [Test]
    public async Task Post_ConcurrentWithTake_LosesNothing()
    {
        var inbox = new ReleaseReportInbox();
        inbox.Watch("prod", "checkout");
        var posters = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < 5000; i++)
            {
                inbox.Post("prod", Report("checkout", $"p{p}", 1));
            }
        })).ToArray();
        long taken = 0;
        while (!posters.All(t => t.IsCompleted))
        {
            taken += inbox.Take("prod", "checkout").Count;
        }

        await Task.WhenAll(posters);
        taken += inbox.Take("prod", "checkout").Count;

        Assert.That(taken, Is.EqualTo(20_000));
        Assert.That(inbox.Dropped, Is.Zero);
    }
}
