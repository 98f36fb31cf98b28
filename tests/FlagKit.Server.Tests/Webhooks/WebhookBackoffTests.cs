using FlagKit.Server.Webhooks;

namespace FlagKit.Server.Tests.Webhooks;

public sealed class WebhookBackoffTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromMinutes(5);

    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(3, 4)]
    [TestCase(8, 128)]
    [TestCase(9, 256)]
    [TestCase(10, 300)]
    [TestCase(99, 300)]
    public void Ceiling_FailedAttempt_DoublesUpToTheMaximum(int failedAttempt, double seconds) =>
        Assert.That(new WebhookBackoff(First, Max, new Random(1)).Ceiling(failedAttempt), Is.EqualTo(TimeSpan.FromSeconds(seconds)));

    [Test]
    public void Delay_ManyDraws_SpreadOverTheUpperHalfOfTheCeiling()
    {
        var backoff = new WebhookBackoff(First, Max, new Random(3));

        var delays = Enumerable.Range(0, 2000).Select(_ => backoff.Delay(3, retryAfter: null).TotalSeconds).ToList();

        Assert.That(delays, Is.All.InRange(2.0, 4.0));
        Assert.That(delays.Count(d => d < 3), Is.InRange(800, 1200), "uniform over [2 s, 4 s]: about half below 3 s");
        Assert.That(delays.Distinct().Count(), Is.GreaterThan(1900), "jittered, not one value");
    }

    [Test]
    public void Delay_RetryAfter_TakenAsGivenButCappedAtTheMaximum()
    {
        var backoff = new WebhookBackoff(First, Max, new Random(1));

        Assert.That(backoff.Delay(1, TimeSpan.FromSeconds(30)), Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(backoff.Delay(1, TimeSpan.FromHours(2)), Is.EqualTo(Max));
        Assert.That(backoff.Delay(5, TimeSpan.Zero), Is.EqualTo(TimeSpan.Zero));
    }
}
