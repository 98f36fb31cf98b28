// Round service sample: every round resolves `calc-engine` with its round id as the pin key, so a round started on
// 1.4 settles on 1.4 even when ops move the flag to 1.5 mid-round. The settled event records calcVer; a disputed
// round is replayed on exactly that engine, bypassing flag and pin. A kill wins over pins and says so.
//
//   dotnet run --project samples/RoundService
using System.Text.Json;
using FlagKit;
using FlagKit.Documents;
using FlagKit.Sources;
using FlagKit.Versioning;
using RoundService;

VersionTags.Current = new VersionTags(buildId: "sample-build-1", appVersion: SemanticVersion.Parse("1.0.0"));

var source = new InMemoryFlagSource();
source.SetFlag(CalcEngineFlag(serve: "v1.4"));
await using var flags = new FlagClient(source, new FlagClientOptions { VersionPinExpiry = TimeSpan.FromHours(2) });
await flags.StartAsync();

var engines = new CalcEngines();
var rounds = new Rounds(flags, engines);
var player = new EvaluationContext { AccountId = "player-7", Region = "eu", Game = "book-of-ra" };

var early = rounds.Start("round-1001", player, stake: 2.00m);
Console.WriteLine($"started {early.RoundId} on calc {early.Calc.Version} (flag revision {early.Calc.Revision}, {early.Calc.Source})");

Console.WriteLine("ops: calc-engine now serves 1.5");
source.SetFlag(CalcEngineFlag(serve: "v1.5"));

var late = rounds.Start("round-1002", player, stake: 2.00m);
Console.WriteLine($"started {late.RoundId} on calc {late.Calc.Version} (flag revision {late.Calc.Revision}, {late.Calc.Source})");

var settledEarly = rounds.Settle("round-1001", player, seed: 99);
var settledLate = rounds.Settle("round-1002", player, seed: 99);
Console.WriteLine($"settled: {JsonSerializer.Serialize(settledEarly)}");
Console.WriteLine($"settled: {JsonSerializer.Serialize(settledLate)}");

Console.WriteLine("ops: calc-engine killed (serves its safe off variant 1.3)");
source.SetKilled("calc-engine");
var during = flags.GetVersion("calc-engine", player, pinKey: "round-1001");
Console.WriteLine($"round-1001 while killed: {during.Version} ({during.Source}: {during.EvaluationReason})");
source.SetKilled("calc-engine", killed: false);
var resumed = flags.GetVersion("calc-engine", player, pinKey: "round-1001");
Console.WriteLine($"round-1001 after revive: {resumed.Version} ({resumed.Source}, pinned at revision {resumed.Revision})");

// A dispute: re-run the recorded round exactly as settled, whatever the flag and the pins say now.
var replayed = rounds.Replay(settledEarly);
Console.WriteLine($"replay of {settledEarly.RoundId}: calc {replayed.CalcVer}, payout {replayed.Payout} (recorded {settledEarly.Payout}) → {(replayed.Payout == settledEarly.Payout ? "matches" : "DIFFERS")}");

static FlagDocument CalcEngineFlag(string serve) => new()
{
    Key = "calc-engine",
    Kind = FlagKind.Version,
    Description = "The payout calculation engine. Rounds pin the version they started on.",
    On = true,
    Variants = new Dictionary<string, JsonElement>
    {
        ["v1.3"] = JsonSerializer.SerializeToElement("1.3.0"),
        ["v1.4"] = JsonSerializer.SerializeToElement("1.4.0"),
        ["v1.5"] = JsonSerializer.SerializeToElement("1.5.0"),
    },
    OffVariant = "v1.3",
    DefaultRule = new ServeDocument { Variant = serve },
};
