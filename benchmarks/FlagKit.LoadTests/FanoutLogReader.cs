using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace FlagKit.LoadTests;

/// <summary>When the server wrote a revision to the last of its streams: what it logs once per revision (category <see cref="Category"/>).</summary>
/// <param name="Collections">Garbage collections in the server during the fan-out (gen0, gen1, gen2), when logged.</param>
/// <param name="PausedMs">How long those collections paused the server, when logged.</param>
internal sealed record FanoutRecord(long Revision, string Environment, int Streams, DateTimeOffset Published, DateTimeOffset LastWritten, (int Gen0, int Gen1, int Gen2) Collections = default, double PausedMs = 0);

/// <summary>Reads the server's fan-out log lines from its console (simple formatter, single line) as they come.</summary>
internal sealed partial class FanoutLogReader
{
    /// <summary>The server's fan-out log category (Information enables it).</summary>
    public const string Category = "FlagKit.Server.Sync.Fanout";

    private readonly ConcurrentDictionary<(string Environment, long Revision), FanoutRecord> _records = new();

    /// <summary>Takes one line of the server's output.</summary>
    /// <returns>True when it was a fan-out line.</returns>
    public bool OnLine(string line)
    {
        Match m = Line().Match(line);
        if (!m.Success)
        {
            return false;
        }

        {
            var record = new FanoutRecord(
                long.Parse(m.Groups["rev"].Value, CultureInfo.InvariantCulture),
                m.Groups["env"].Value,
                int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(m.Groups["pub"].Value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                DateTimeOffset.Parse(m.Groups["last"].Value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                m.Groups["g0"].Success
                    ? (int.Parse(m.Groups["g0"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["g1"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["g2"].Value, CultureInfo.InvariantCulture))
                    : default,
                m.Groups["paused"].Success ? double.Parse(m.Groups["paused"].Value, CultureInfo.InvariantCulture) : 0);
            _records[(record.Environment, record.Revision)] = record;
        }

        return true;
    }

    /// <summary>The record of a revision once the server logged it (it logs when the last stream was written).</summary>
    public async Task<FanoutRecord> WaitAsync(long revision, string environment = ServerProcess.Environment)
    {
        var clock = Stopwatch.StartNew();
        FanoutRecord? record;
        while (!_records.TryGetValue((environment, revision), out record))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"the server logged no fan-out of revision {revision} (is {Category} at Information?)");
            }

            await Task.Delay(5);
        }

        return record;
    }

    [GeneratedRegex(@"Fan-out of revision (?<rev>\d+) in '(?<env>[^']*)': (?<n>\d+) streams written; published (?<pub>\S+), last written (?<last>[^;\s]+)(; collections meanwhile gen0 (?<g0>\d+), gen1 (?<g1>\d+), gen2 (?<g2>\d+), paused (?<paused>[\d.]+) ms)?")]
    private static partial Regex Line();
}
