using BenchmarkDotNet.Attributes;
using FlagKit.Compilation;
using FlagKit.Sources;

namespace FlagKit.Benchmarks;

/// <summary>
/// What exposure counting costs the evaluation path: the same <c>IsEnabled</c> calls on two clients of the same flags,
/// one counting exposures (the default) and one with <see cref="FlagClientOptions.CountExposures"/> off, in one run.
/// Also the outcome API (a <c>using</c> scope, and <c>RecordOutcome</c>), which must not allocate either.
/// </summary>
[MemoryDiagnoser]
public class ExposureCountingBenchmark
{
    private const string Flags = """
        {
          "schema": 1,
          "flags": [
            { "key": "new-bonus-engine", "kind": "bool", "on": true,
              "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } },
            { "key": "bonus-canary", "kind": "bool", "on": true,
              "variants": { "on": true, "off": false }, "offVariant": "off",
              "rules": [
                { "id": "blocked-regions", "conditions": [ { "attribute": "region", "op": "in", "values": ["us", "fr"] } ], "variant": "off" }
              ],
              "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 25 }, { "variant": "off", "weight": 75 } ] } } }
          ]
        }
        """;

    private FlagClient _counting = null!;
    private FlagClient _notCounting = null!;
    private EvaluationContext _player = null!;

    [GlobalSetup]
    public void Setup()
    {
        _counting = Start(new FlagClientOptions { CountExposures = true });
        _notCounting = Start(new FlagClientOptions { CountExposures = false });
        _player = new EvaluationContext { AccountId = "player-1234567", Region = "eu" };
        if (!_counting.IsEnabled("new-bonus-engine") || _counting.GetBoolDetails("bonus-canary", _player).Reason != EvaluationReason.Split)
        {
            throw new InvalidOperationException("Benchmark setup is wrong.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _counting.Dispose();
        _notCounting.Dispose();
    }

    [Benchmark(Baseline = true, Description = "IsEnabled, no rules: counting off")]
    [BenchmarkCategory("1 Boolean flag")]
    public bool ConstantOff() => _notCounting.IsEnabled("new-bonus-engine", _player);

    [Benchmark(Description = "IsEnabled, no rules: counting on")]
    [BenchmarkCategory("1 Boolean flag")]
    public bool ConstantOn() => _counting.IsEnabled("new-bonus-engine", _player);

    [Benchmark(Baseline = true, Description = "IsEnabled, rule + 25 % split: counting off")]
    [BenchmarkCategory("2 Split flag")]
    public bool SplitOff() => _notCounting.IsEnabled("bonus-canary", _player);

    [Benchmark(Description = "IsEnabled, rule + 25 % split: counting on")]
    [BenchmarkCategory("2 Split flag")]
    public bool SplitOn() => _counting.IsEnabled("bonus-canary", _player);

    [Benchmark(Baseline = true, Description = "RecordOutcome(flag, context, success, duration)")]
    [BenchmarkCategory("3 Outcome")]
    public string? RecordOutcome() => _counting.RecordOutcome("bonus-canary", _player, true, TimeSpan.FromMilliseconds(42));

    [Benchmark(Description = "using var o = StartOutcome(flag, context)")]
    [BenchmarkCategory("3 Outcome")]
    public void OutcomeScope()
    {
        using var outcome = _counting.StartOutcome("bonus-canary", _player);
    }

    private static FlagClient Start(FlagClientOptions options)
    {
        var file = FlagJson.ParseFile(System.Text.Encoding.UTF8.GetBytes(Flags), "benchmark");
        options.TelemetryInterval = TimeSpan.FromSeconds(10);
        var client = new FlagClient(new InMemoryFlagSource(file), options);
        client.StartAsync().GetAwaiter().GetResult();
        return client;
    }
}
