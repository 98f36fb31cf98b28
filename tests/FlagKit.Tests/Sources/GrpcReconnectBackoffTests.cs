using FlagKit.Sources;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Tests.Sources;

public sealed class GrpcReconnectBackoffTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [TestCase(0, 500)]
    [TestCase(1, 1_000)]
    [TestCase(2, 2_000)]
    [TestCase(5, 16_000)]
    [TestCase(6, 30_000)]
    [TestCase(40, 30_000)]
    public void CurrentCeiling_AfterFailures_DoublesUpToTheCap(int failures, int expectedMs)
    {
        var backoff = new GrpcReconnectBackoff(Min, Max, new FakeTimeProvider(), () => 0.5);
        for (int i = 0; i < failures; i++)
        {
            backoff.NextDelay();
        }

        Assert.That(backoff.CurrentCeiling, Is.EqualTo(TimeSpan.FromMilliseconds(expectedMs)));
    }

    [TestCase(0.0, 0)]
    [TestCase(0.25, 125)]
    [TestCase(0.999, 499)]
    public void NextDelay_FirstFailure_IsTheSampleTimesTheCeiling(double sample, int expectedMs)
    {
        var backoff = new GrpcReconnectBackoff(Min, Max, new FakeTimeProvider(), () => sample);

        Assert.That(backoff.NextDelay().TotalMilliseconds, Is.EqualTo(expectedMs).Within(1));
    }

    [Test]
    public void NextDelay_ManyDraws_StayWithinZeroAndTheCeilingAndSpreadOut()
    {
        var random = new Random(1234);
        var backoff = new GrpcReconnectBackoff(Min, Max, new FakeTimeProvider(), random.NextDouble);
        var delays = new List<TimeSpan>();
        for (int i = 0; i < 200; i++)
        {
            TimeSpan ceiling = backoff.CurrentCeiling;
            TimeSpan delay = backoff.NextDelay();
            Assert.That(delay, Is.InRange(TimeSpan.Zero, ceiling));
            delays.Add(delay);
        }

        // Full jitter: capped draws are spread over [0, max], not bunched at the cap.
        List<TimeSpan> capped = delays.Skip(10).ToList();
        Assert.That(capped.Count(d => d < TimeSpan.FromSeconds(15)), Is.InRange(50, 140));
    }

    [Test]
    public void Reset_AfterFailures_StartsOverAtTheMinimum()
    {
        var backoff = new GrpcReconnectBackoff(Min, Max, new FakeTimeProvider(), () => 1.0);
        backoff.NextDelay();
        backoff.NextDelay();
        backoff.NextDelay();

        backoff.Reset();

        Assert.That(backoff.Attempt, Is.Zero);
        Assert.That(backoff.NextDelay(), Is.EqualTo(Min));
    }

    [Test]
    public async Task WaitAsync_FakeClock_CompletesOnlyWhenTheDrawnDelayHasPassed()
    {
        var time = new FakeTimeProvider();
        var backoff = new GrpcReconnectBackoff(Min, Max, time, () => 1.0);
        backoff.NextDelay(); // ceiling is now 1 s; the next draw (sample 1.0) waits exactly 1 s.

        Task<TimeSpan> wait = backoff.WaitAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.That(wait.IsCompleted, Is.False);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(await wait.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void WaitAsync_Cancelled_ThrowsWithoutWaiting()
    {
        var time = new FakeTimeProvider();
        var backoff = new GrpcReconnectBackoff(Min, Max, time, () => 1.0);
        using var cts = new CancellationTokenSource();

        Task<TimeSpan> wait = backoff.WaitAsync(cts.Token);
        cts.Cancel();

        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Constructor_MaxBelowMin_Throws()
    {
        Assert.That(() => new GrpcReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), TimeProvider.System), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
