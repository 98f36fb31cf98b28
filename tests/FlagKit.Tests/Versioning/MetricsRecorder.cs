using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FlagKit.Tests.Versioning;

/// <summary>Listens to one instrument and keeps the measurements whose tags match a filter (tests run side by side).</summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(long Value, Dictionary<string, string?> Tags)> _measurements = new();

    public MetricsRecorder(string meterName, string instrumentName, Func<IReadOnlyDictionary<string, string?>, bool> filter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Name == instrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var dict = new Dictionary<string, string?>();
            foreach (var tag in tags)
            {
                dict[tag.Key] = tag.Value?.ToString();
            }

            if (filter(dict))
            {
                _measurements.Enqueue((value, dict));
            }
        });
        _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var dict = new Dictionary<string, string?>();
            foreach (var tag in tags)
            {
                dict[tag.Key] = tag.Value?.ToString();
            }

            if (filter(dict))
            {
                _measurements.Enqueue(((long)value, dict));
            }
        });
        _listener.Start();
    }

    public IReadOnlyList<(long Value, Dictionary<string, string?> Tags)> Measurements => [.. _measurements];

    public long Sum(Func<IReadOnlyDictionary<string, string?>, bool> where) =>
        _measurements.Where(m => where(m.Tags)).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
