using FlagKit.Sources;
using FlagKit.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Tests.Telemetry;

/// <summary>Exposure counting on the evaluation path, outcomes, and their aggregation per flag, variant and interval.</summary>
public sealed class ExposureAndOutcomeTests
{
    private static readonly EvaluationContext Treated = EvaluationContext.ForAccount("treated");
    private static readonly EvaluationContext Other = EvaluationContext.ForAccount("other");

    [Test]
    public async Task IsEnabled_PerContext_CountsEachVariantServed()
    {
        await using var client = await StartAsync(new FlagClientOptions { TelemetryInterval = Timeout.InfiniteTimeSpan });
        for (var i = 0; i < 7; i++)
        {
            client.IsEnabled("checkout-v2", Treated);
        }

        for (var i = 0; i < 5; i++)
        {
            client.IsEnabled("checkout-v2", Other);
        }

        client.IsEnabled("missing", Treated);
        var interval = client.Telemetry.CloseInterval();

        Assert.That(Figures(interval, "checkout-v2", "on").Exposures, Is.EqualTo(7));
        Assert.That(Figures(interval, "checkout-v2", "off").Exposures, Is.EqualTo(5));
        Assert.That(interval.Variants.Select(v => v.Flag), Has.None.EqualTo("missing"), "a default served for a missing flag is no exposure");
        Assert.That(client.Telemetry.CloseInterval().Variants.Sum(v => v.Exposures), Is.Zero, "each interval reports what happened since the last");
    }

    [Test]
    public async Task Getters_ConstantAndDetailed_CountTheirExposures()
    {
        await using var client = await StartAsync(new FlagClientOptions { TelemetryInterval = Timeout.InfiniteTimeSpan });
        client.IsEnabled("always-on");
        client.GetBoolDetails("always-on");
        client.GetString("theme", Treated);
        client.GetStringDetails("theme", Other);
        client.GetStringDetails("always-on"); // a type mismatch serves the default: no exposure
        var interval = client.Telemetry.CloseInterval();

        Assert.That(Figures(interval, "always-on", "on").Exposures, Is.EqualTo(2));
        Assert.That(Figures(interval, "theme", "dark").Exposures, Is.EqualTo(1));
        Assert.That(Figures(interval, "theme", "light").Exposures, Is.EqualTo(1));
    }

    [Test]
    public async Task CountExposuresOff_Evaluations_CountNothingButOutcomesStillRecord()
    {
        await using var client = await StartAsync(new FlagClientOptions { CountExposures = false, TelemetryInterval = Timeout.InfiniteTimeSpan });
        for (var i = 0; i < 10; i++)
        {
            client.IsEnabled("checkout-v2", Treated);
        }

        client.RecordOutcome("checkout-v2", Treated, success: true, TimeSpan.FromMilliseconds(12));
        var interval = client.Telemetry.CloseInterval();

        Assert.That(interval.Variants.Sum(v => v.Exposures), Is.Zero);
        Assert.That(Figures(interval, "checkout-v2", "on").Requests, Is.EqualTo(1));
    }

    [Test]
    public async Task StartOutcome_FailedAndSucceeded_RecordedAgainstTheVariantWithDuration()
    {
        var time = new FakeTimeProvider();
        await using var client = await StartAsync(new FlagClientOptions { TimeProvider = time, TelemetryInterval = Timeout.InfiniteTimeSpan });

        string? variant;
        using (var outcome = client.StartOutcome("checkout-v2", Treated))
        {
            variant = outcome.Variant;
            time.Advance(TimeSpan.FromMilliseconds(120));
            outcome.Fail();
        }

        for (var i = 0; i < 3; i++)
        {
            using var outcome = client.StartOutcome("checkout-v2", Treated);
            time.Advance(TimeSpan.FromMilliseconds(40));
        }

        var interval = client.Telemetry.CloseInterval();
        var on = Figures(interval, "checkout-v2", "on");

        Assert.That(variant, Is.EqualTo("on"));
        Assert.That((on.Requests, on.Failures), Is.EqualTo((4L, 1L)));
        Assert.That(on.Latency.Count, Is.EqualTo(4));
        Assert.That(on.Latency.Percentile(1.0), Is.EqualTo(120).Within(3).Percent);
        Assert.That(on.Latency.Percentile(0.5), Is.EqualTo(40).Within(3).Percent);
        Assert.That(on.Exposures, Is.Zero, "recording an outcome is not an exposure");
    }

    [Test]
    public async Task OutcomeScope_DisposedTwiceOrCopied_RecordsOnce()
    {
        await using var client = await StartAsync(new FlagClientOptions { TelemetryInterval = Timeout.InfiniteTimeSpan });
        var outcome = client.StartOutcome("checkout-v2", Other);
        var copy = outcome;
        outcome.Dispose();
        outcome.Dispose();
        copy.Fail();
        copy.Dispose();
        var next = client.StartOutcome("checkout-v2", Other); // may reuse the pooled state
        copy.Fail();                                           // a stale copy must not touch it
        next.Dispose();

        var off = Figures(client.Telemetry.CloseInterval(), "checkout-v2", "off");
        Assert.That((off.Requests, off.Failures), Is.EqualTo((2L, 0L)));
    }

    [Test]
    public async Task RecordOutcome_MissingFlag_RecordsNothingAndSaysSo()
    {
        await using var client = await StartAsync(new FlagClientOptions { TelemetryInterval = Timeout.InfiniteTimeSpan });
        Assert.That(client.RecordOutcome("missing", Treated, false, TimeSpan.FromMilliseconds(1)), Is.Null);
        Assert.That(client.RecordOutcome("checkout-v2", Treated, false, TimeSpan.FromMilliseconds(1)), Is.EqualTo("on"));
        using (var none = client.StartOutcome("missing"))
        {
            Assert.That(none.Variant, Is.Null);
            none.Fail();
        }

        Assert.That(client.Telemetry.CloseInterval().Variants.Sum(v => v.Requests), Is.EqualTo(1));
    }

    [Test]
    public async Task MaxTrackedVariants_Reached_FurtherFlagsCountedAsUntracked()
    {
        await using var client = await StartAsync(new FlagClientOptions { MaxTrackedVariants = 2, TelemetryInterval = Timeout.InfiniteTimeSpan });
        client.IsEnabled("checkout-v2", Treated);          // 2 variants: the cap
        client.IsEnabled("always-on");                      // beyond it
        client.IsEnabled("always-on");
        client.RecordOutcome("always-on", null, true, TimeSpan.FromMilliseconds(3));
        var interval = client.Telemetry.CloseInterval();

        Assert.That(interval.Variants.Select(v => v.Flag).Distinct(), Is.EqualTo(new[] { "checkout-v2" }));
        Assert.That(interval.UntrackedEvents, Is.EqualTo(3));
        Assert.That(client.Telemetry.TrackedVariants, Is.EqualTo(2));
    }

    [Test]
    public async Task FlagReplaced_OldCountersDrainedThenRetired_CapacityFreed()
    {
        var source = new InMemoryFlagSource(TestDocuments.File(Flags));
        await using var client = new FlagClient(source, new FlagClientOptions { TelemetryInterval = Timeout.InfiniteTimeSpan });
        await client.StartAsync();
        client.IsEnabled("checkout-v2", Treated);
        source.SetKilled("checkout-v2");                    // a new compiled flag
        client.IsEnabled("checkout-v2", Treated);           // serves off now

        var first = client.Telemetry.CloseInterval();
        Assert.That(Figures(first, "checkout-v2", "on").Exposures, Is.EqualTo(1));
        Assert.That(Figures(first, "checkout-v2", "off").Exposures, Is.EqualTo(1));
        Assert.That(client.Telemetry.TrackedVariants, Is.EqualTo(4), "both versions tracked until the old one retires");

        client.Telemetry.CloseInterval();
        Assert.That(client.Telemetry.TrackedVariants, Is.EqualTo(2), "the replaced version retires after a whole interval");
    }

    [Test]
    public async Task IsEnabled_ManyThreads_EveryExposureCounted()
    {
        await using var client = await StartAsync(new FlagClientOptions { TelemetryInterval = Timeout.InfiniteTimeSpan });
        const int PerThread = 200_000;
        var threads = Enumerable.Range(0, ExposureStripe.Count).Select(i => new Thread(() =>
        {
            var context = i % 2 == 0 ? Treated : Other;
            for (var n = 0; n < PerThread; n++)
            {
                client.IsEnabled("checkout-v2", context);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var total = client.Telemetry.CloseInterval().Variants.Sum(v => v.Exposures);
        TestContext.Out.WriteLine($"{total} of {threads.Count * PerThread} counted with {ExposureStripe.Count} stripes");
        // Plain increments per stripe: exact unless two threads share a stripe and collide; allow a 0.1 % margin.
        Assert.That(total, Is.InRange(threads.Count * PerThread * 999L / 1000, threads.Count * PerThread));
    }

    [Test]
    public async Task Timer_EveryInterval_ClosesAnIntervalAndRaisesIt()
    {
        var time = new FakeTimeProvider();
        await using var client = await StartAsync(new FlagClientOptions { TimeProvider = time, TelemetryInterval = TimeSpan.FromSeconds(10) });
        var closed = new List<TelemetryInterval>();
        client.Telemetry.IntervalClosed += closed.Add;
        client.IsEnabled("checkout-v2", Treated);

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.That(closed, Has.Count.EqualTo(1));
        Assert.That(closed[0].Duration, Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(Figures(closed[0], "checkout-v2", "on").Exposures, Is.EqualTo(1));
    }

    [Test]
    public void Options_IntervalBelowASecond_RefusedNamingTheOption()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new FlagClient(new InMemoryFlagSource(), new FlagClientOptions { TelemetryInterval = TimeSpan.FromMilliseconds(10) }));
        Assert.That(e!.Message, Does.Contain("TelemetryInterval"));
    }

    internal const string Flags = """
        { "schema": 1, "flags": [
          { "key": "checkout-v2", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off",
            "targets": { "on": ["treated"] }, "defaultRule": { "variant": "off" } },
          { "key": "always-on", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off",
            "defaultRule": { "variant": "on" } },
          { "key": "theme", "kind": "string", "on": true, "variants": { "dark": "D", "light": "L" }, "offVariant": "light",
            "targets": { "dark": ["treated"] }, "defaultRule": { "variant": "light" } }
        ] }
        """;

    internal static async Task<FlagClient> StartAsync(FlagClientOptions options)
    {
        var client = new FlagClient(new InMemoryFlagSource(TestDocuments.File(Flags)), options);
        await client.StartAsync();
        return client;
    }

    internal static TelemetryFigures Figures(TelemetryInterval interval, string flag, string variant) =>
        interval.Variants.Single(v => v.Flag == flag && v.Variant == variant);
}
