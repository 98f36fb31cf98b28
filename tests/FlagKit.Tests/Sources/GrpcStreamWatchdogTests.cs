using FlagKit.Sources;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Tests.Sources;

public sealed class GrpcStreamWatchdogTests
{
    [Test]
    public void Arm_SilentForTheDeadline_CancelsTheStream()
    {
        var time = new FakeTimeProvider();
        using var stream = new CancellationTokenSource();
        using var watchdog = new GrpcStreamWatchdog(time, stream);

        watchdog.Arm(TimeSpan.FromSeconds(3));
        time.Advance(TimeSpan.FromSeconds(3));

        Assert.That(watchdog.Fired, Is.True);
        Assert.That(stream.IsCancellationRequested, Is.True);
    }

    [Test]
    public void Touch_MessagesKeepArriving_NeverFires()
    {
        var time = new FakeTimeProvider();
        using var stream = new CancellationTokenSource();
        using var watchdog = new GrpcStreamWatchdog(time, stream);
        watchdog.Arm(TimeSpan.FromSeconds(3));

        for (int i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            watchdog.Touch();
        }

        Assert.That(watchdog.Fired, Is.False);
        Assert.That(stream.IsCancellationRequested, Is.False);
    }

    [Test]
    public void Touch_ThenSilence_FiresADeadlineAfterTheLastMessage()
    {
        var time = new FakeTimeProvider();
        using var stream = new CancellationTokenSource();
        using var watchdog = new GrpcStreamWatchdog(time, stream);
        watchdog.Arm(TimeSpan.FromSeconds(3));
        time.Advance(TimeSpan.FromSeconds(2));
        watchdog.Touch();

        time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.That(watchdog.Fired, Is.False);

        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.That(watchdog.Fired, Is.True);
    }

    [Test]
    public void Arm_Infinite_NeverFires()
    {
        var time = new FakeTimeProvider();
        using var stream = new CancellationTokenSource();
        using var watchdog = new GrpcStreamWatchdog(time, stream);

        watchdog.Arm(Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromHours(1));

        Assert.That(watchdog.Fired, Is.False);
    }
}
