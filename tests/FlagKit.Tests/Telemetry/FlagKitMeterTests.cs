using System.Diagnostics.Metrics;
using FlagKit.Sources;
using FlagKit.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Tests.Telemetry;

/// <summary>The client's "FlagKit" meter, read with a real <see cref="MeterListener"/>.</summary>
public sealed class FlagKitMeterTests
{
    [Test]
    public async Task Interval_ExposuresAndOutcomes_PublishedWithFeatureFlagTags()
    {
        var time = new FakeTimeProvider();
        await using var client = await ExposureAndOutcomeTests.StartAsync(new FlagClientOptions { TimeProvider = time });
        using var listener = Listen(client, out var measurements);
        client.IsEnabled("checkout-v2", EvaluationContext.ForAccount("treated"));
        client.IsEnabled("checkout-v2", EvaluationContext.ForAccount("treated"));
        client.RecordOutcome("checkout-v2", EvaluationContext.ForAccount("treated"), false, TimeSpan.FromMilliseconds(250));
        client.RecordOutcome("checkout-v2", EvaluationContext.ForAccount("other"), true, TimeSpan.FromMilliseconds(50));

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.That(measurements, Does.Contain(("feature_flag.exposures", 2.0, "checkout-v2/on/FlagKit/")));
        Assert.That(measurements, Does.Contain(("feature_flag.outcomes", 1.0, "checkout-v2/on/FlagKit/failure")));
        Assert.That(measurements, Does.Contain(("feature_flag.outcomes", 1.0, "checkout-v2/off/FlagKit/success")));
        Assert.That(measurements, Does.Contain(("feature_flag.outcome.duration", 0.25, "checkout-v2/on/FlagKit/failure")));
    }

    [Test]
    public async Task Health_Observed_StatusRevisionAndCounters()
    {
        await using var client = await ExposureAndOutcomeTests.StartAsync(new FlagClientOptions());
        using var listener = Listen(client, out var measurements);

        listener.RecordObservableInstruments();

        Assert.That(measurements, Does.Contain(("flagkit.sdk.status", 1.0, "ready")));
        Assert.That(measurements, Does.Contain(("flagkit.sdk.revision", (double)client.Snapshot.Revision, "")));
        Assert.That(measurements.Select(m => m.Name), Is.SupersetOf(new[]
        {
            "flagkit.sdk.revision_lag", "flagkit.sdk.reconnects", "flagkit.sdk.rejected_documents", "flagkit.sdk.telemetry.dropped", "flagkit.sdk.telemetry.untracked",
        }));
    }

    [Test]
    public async Task Meter_NamedFlagKit_CompletedWhenTheClientIsDisposed()
    {
        var client = await ExposureAndOutcomeTests.StartAsync(new FlagClientOptions());
        var meter = client.Telemetry.Meter!.Meter;
        var completed = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Meter == meter)
                {
                    l.EnableMeasurementEvents(i);
                }
            },
            MeasurementsCompleted = (i, _) => completed.Add(i.Name),
        };
        listener.Start();

        await client.DisposeAsync();

        Assert.That(meter.Name, Is.EqualTo("FlagKit"));
        Assert.That(completed, Does.Contain("feature_flag.exposures").And.Contain("flagkit.sdk.status"), "the client's meter is disposed with it");
    }

    private static MeterListener Listen(FlagClient client, out List<(string Name, double Value, string Tags)> measurements)
    {
        var meter = client.Telemetry.Meter!.Meter;
        var seen = new List<(string Name, double Value, string Tags)>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var text = instrument.Name.StartsWith("feature_flag", StringComparison.Ordinal)
                ? $"{Tag(tags, "feature_flag.key")}/{Tag(tags, "feature_flag.result.variant")}/{Tag(tags, "feature_flag.provider.name")}/{Tag(tags, "flagkit.outcome")}"
                : Tag(tags, "flagkit.status");
            lock (seen)
            {
                seen.Add((instrument.Name, Math.Round(value, 3), text));
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        listener.Start();
        measurements = seen;
        return listener;
    }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value?.ToString() ?? "";
            }
        }

        return "";
    }
}
