// Slot game sample: the new bonus engine behind `if (flags.IsEnabled(...))`, canaried to 5 % of EU players on
// Starburst, from a flags file. Edit flags.json while it runs (raise the weight to 25, set "killed": true, ...):
// the next round uses it, with no restart. A broken edit is reported and the last good flags keep serving.
//
//   dotnet run --project samples/SlotGame [-- path/to/flags.json] [--rounds N]
using FlagKit;
using FlagKit.Sources;
using SlotGame;

string? path = null;
var rounds = int.MaxValue;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--rounds" && i + 1 < args.Length) rounds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    else path = args[i];
}

path ??= Path.Combine(AppContext.BaseDirectory, "flags.json");

await using var source = new FileFlagSource(path);
source.FileRefused += (_, e) => Console.WriteLine($"! flags file refused, still serving the last good flags: {e.Error?.Message}");
await using var flags = new FlagClient(source);
flags.FlagsChanged += (_, e) => Console.WriteLine($"* flags changed (revision {e.Revision}): {string.Join(", ", e.Keys)}");
await flags.StartAsync();
Console.WriteLine($"Serving {path} (status {flags.Status}). Edit it to ramp or kill the new bonus engine. Ctrl+C to stop.");

// Contexts are built once per player session and reused for every spin.
string[] regions = ["eu", "eu", "us", "apac"];
var players = Enumerable.Range(0, 20_000)
    .Select(i => new EvaluationContext { AccountId = $"player-{i}", Region = regions[i % regions.Length], Game = i % 2 == 0 ? "starburst" : "gonzo" })
    .ToArray();

var machine = new SlotMachine(flags);
var rng = new Random(42);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

for (var round = 1; round <= rounds && !stop.IsCancellationRequested; round++)
{
    int onNew = 0, euStarburst = 0, euStarburstOnNew = 0;
    foreach (var player in players)
    {
        var result = machine.Spin(player, rng);
        var inCanary = player.Region == "eu" && player.Game == "starburst";
        euStarburst += inCanary ? 1 : 0;
        if (result.Engine == "new")
        {
            onNew++;
            euStarburstOnNew += inCanary ? 1 : 0;
        }
    }

    var details = flags.GetBoolDetails("new-bonus-engine", players[0]);
    Console.WriteLine(
        $"round {round}: {players.Length} spins, {onNew} on the new engine; EU/Starburst canary {euStarburstOnNew}/{euStarburst} " +
        $"({100.0 * euStarburstOnNew / Math.Max(1, euStarburst):0.0} %); player-0: {details.Reason} rev {details.Revision}");

    if (round < rounds)
    {
        try { await Task.Delay(TimeSpan.FromSeconds(2), stop.Token); }
        catch (OperationCanceledException) { break; }
    }
}
