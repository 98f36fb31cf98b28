using System.Globalization;
using System.Text;

namespace FlagKit.Server.Tests.Metrics;

/// <summary>
/// A scrape in the Prometheus text exposition format (0.0.4), parsed strictly: <c># HELP</c> / <c># TYPE</c> lines and
/// samples <c>name{label="value",…} number</c> with the format's escapes (<c>\\</c>, <c>\"</c>, <c>\n</c>) in label
/// values. A line that is neither fails the test.
/// </summary>
internal sealed class PrometheusScrape
{
    private readonly List<Sample> _samples = [];
    private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);

    private PrometheusScrape(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# EOF", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                _types[parts[2]] = parts[3];
                continue;
            }

            _samples.Add(ParseSample(line));
        }
    }

    public string Text { get; }

    public static PrometheusScrape Parse(string text) => new(text);

    /// <summary>The TYPE declared for a metric family (null: none).</summary>
    public string? TypeOf(string family) => _types.GetValueOrDefault(family);

    /// <summary>The samples of a series name whose labels include <paramref name="labels"/>.</summary>
    public IReadOnlyList<Sample> Find(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();

    /// <summary>The one sample of a series (fails when there is none or several).</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var found = Find(name, labels);
        Assert.That(found, Has.Count.EqualTo(1), $"one sample of {name} {{{string.Join(",", labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}} in:\n{Text}");
        return found[0].Value;
    }

    private static Sample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        Assert.That(i, Is.GreaterThan(0), $"a sample line starts with a metric name: {line}");
        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var key = line[i..eq];
                Assert.That(line[eq + 1], Is.EqualTo('"'), $"label value quoted: {line}");
                var value = new StringBuilder();
                var j = eq + 2;
                for (; line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] switch
                        {
                            'n' => '\n',
                            '\\' => '\\',
                            '"' => '"',
                            _ => throw new AssertionException($"bad escape \\{line[j]} in {line}"),
                        });
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }

                labels[key] = value.ToString();
                i = j + 1;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        Assert.That(line[i], Is.EqualTo(' '), $"a space before the value: {line}");
        var rest = line[(i + 1)..].Split(' ');
        var number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var n => double.Parse(n, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(name, labels, number);
    }

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
}
