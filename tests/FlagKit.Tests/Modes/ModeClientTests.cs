using Microsoft.Extensions.Time.Testing;
using static FlagKit.Tests.Modes.ModeTestDocuments;

namespace FlagKit.Tests.Modes;

public sealed class ModeClientTests
{
    [Test]
    public async Task IsReadOnly_BeforeAnyModes_IsFalse()
    {
        await using var client = NewClient(new FakeTimeProvider(T0));

        Assert.That(client.IsReadOnly(), Is.False);
        Assert.That(client.GetMode().Mode, Is.EqualTo(OperatingMode.Normal));
        Assert.That(client.GetNextMaintenanceWindow(), Is.Null);
    }

    [Test]
    public async Task IsReadOnly_SwitchWithUntil_EndsByTheClientsClockAndRaisesModeChanged()
    {
        var time = new FakeTimeProvider(T0);
        await using var client = NewClient(time);
        var events = new List<ModeChangedEventArgs>();
        client.ModeChanged += (_, e) => { lock (events) { events.Add(e); } };

        Publish(client, $$"""{"schema":1,"switches":[{"id":"s","mode":"read-only","until":"{{Time(T0.AddMinutes(30))}}"}]}""", version: 3);

        Assert.That(client.IsReadOnly(), Is.True);
        Assert.That(client.GetMode().Until, Is.EqualTo(T0.AddMinutes(30)));
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.That(client.IsReadOnly(), Is.False);
        Assert.That(() => { lock (events) { return events.Count; } }, Is.EqualTo(2).After(5000, 10));
        lock (events)
        {
            Assert.That(events.Select(e => (e.Version, e.IsTimeBoundary)), Is.EqualTo(new[] { (3L, false), (3L, true) }));
        }
    }

    [Test]
    public async Task ModeChanged_WindowAnnouncedMonthsAhead_RaisedOnlyWhenItStarts()
    {
        var time = new FakeTimeProvider(T0);
        await using var client = NewClient(time);
        var boundaries = 0;
        client.ModeChanged += (_, e) =>
        {
            if (e.IsTimeBoundary)
            {
                Interlocked.Increment(ref boundaries);
            }
        };
        var start = T0.AddDays(120);

        Publish(client, $$$"""{"schema":1,"windows":[{"id":"w","start":"{{{Time(start)}}}","end":"{{{Time(start.AddHours(1))}}}"}]}""", 1);
        for (var day = 0; day < 119; day++)
        {
            time.Advance(TimeSpan.FromDays(1));
        }

        await Task.Delay(100);
        Assert.That(Volatile.Read(ref boundaries), Is.Zero, "no event on the way");
        time.Advance(TimeSpan.FromDays(1));
        Assert.That(() => Volatile.Read(ref boundaries), Is.EqualTo(1).After(5000, 10));
        Assert.That(client.GetMode().Mode, Is.EqualTo(OperatingMode.Maintenance));
    }

    [Test]
    public async Task PublishModes_WindowFurtherAheadThanATimerWaits_RealClock_IsAccepted()
    {
        await using var client = NewClient(TimeProvider.System);
        var start = DateTimeOffset.UtcNow.AddDays(120);

        Assert.DoesNotThrow(() => Publish(client, $$$"""{"schema":1,"windows":[{"id":"w","start":"{{{Time(start)}}}","end":"{{{Time(start.AddHours(1))}}}"}]}""", 1));
        Assert.That(client.GetNextMaintenanceWindow()?.Start, Is.EqualTo(start));
    }

    [Test]
    public async Task IsReadOnly_Evaluation_AllocatesNothing()
    {
        await using var client = NewClient(new FakeTimeProvider(T0));
        Publish(client, $$$"""{"schema":1,"switches":[{"id":"s","mode":"read-only","scope":{"region":["eu"]}}],"windows":[{"id":"w","start":"{{{Time(T0.AddHours(1))}}}","end":"{{{Time(T0.AddHours(2))}}}"}]}""", 1);
        var eu = new EvaluationContext { Region = "eu" };
        client.IsReadOnly(eu);
        client.GetMode(eu);
        client.GetNextMaintenanceWindow(eu);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var hits = 0;
        for (var i = 0; i < 1000; i++)
        {
            hits += client.IsReadOnly(eu) ? 1 : 0;
            hits += client.GetMode(eu).IsReadOnly ? 1 : 0;
            hits += client.GetNextMaintenanceWindow(eu) is null ? 0 : 1;
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(hits, Is.EqualTo(3000));
    }
}
