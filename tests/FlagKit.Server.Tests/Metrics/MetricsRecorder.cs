using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FlagKit.Server.Tests.Metrics;

/// <summary>
/// Listens to one <see cref="Meter"/> instance (one server's: other servers in the process have their own) and keeps
/// every measurement with its instrument name and tags.
/// </summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Recorded> _measurements = new();

    public MetricsRecorder(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    /// <summary>Every measurement of an instrument whose tags include <paramref name="tags"/>.</summary>
    public IReadOnlyList<double> Values(string instrument, params (string Key, string Value)[] tags) =>
        _measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && v == t.Value)).Select(m => m.Value).ToList();

    /// <summary>The sum of a counter's measurements with those tags.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags) => Values(instrument, tags).Sum();

    /// <summary>Reads the observable instruments now and answers the latest value with those tags (null: none).</summary>
    public double? Observe(string instrument, params (string Key, string Value)[] tags)
    {
        var before = _measurements.Count;
        _listener.RecordObservableInstruments();
        var fresh = _measurements.Skip(before)
            .Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && v == t.Value))
            .ToList();
        return fresh.Count == 0 ? null : fresh.Sum(m => m.Value);
    }

    /// <summary>The tag sets seen for an instrument.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> TagSets(string instrument) =>
        _measurements.Where(m => m.Instrument == instrument).Select(m => m.Tags).ToList();

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value?.ToString() ?? "";
        }

        _measurements.Enqueue(new Recorded(instrument.Name, value, copy));
    }

    private sealed record Recorded(string Instrument, double Value, IReadOnlyDictionary<string, string> Tags);
}
