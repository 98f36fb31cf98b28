using BenchmarkDotNet.Attributes;
using FlagKit.Compilation;
using FlagKit.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.FeatureFilters;

namespace FlagKit.Benchmarks;

/// <summary>
/// One evaluation on the hot path, FlagKit against the nearest Microsoft.FeatureManagement 4.7.0 equivalent
/// (the baseline of each category).
/// </summary>
public class EvaluationBenchmark
{
    private const string Flags = """
        {
          "schema": 1,
          "segments": [
            { "key": "vip", "included": ["vip-1", "vip-2", "vip-3"], "excluded": ["banned-1"],
              "rules": [ { "conditions": [ { "attribute": "segment", "op": "in", "values": ["gold", "platinum"] } ] } ] }
          ],
          "flags": [
            { "key": "new-bonus-engine", "kind": "bool", "on": true,
              "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } },
            { "key": "bonus-canary", "kind": "bool", "on": true,
              "variants": { "on": true, "off": false }, "offVariant": "off",
              "rules": [
                { "id": "blocked-regions", "conditions": [ { "attribute": "region", "op": "in", "values": ["us", "fr"] } ], "variant": "off" },
                { "id": "vip", "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "on" },
                { "id": "old-clients", "conditions": [ { "attribute": "clientVersion", "op": "semverLt", "values": ["3.0.0"] } ], "variant": "off" }
              ],
              "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 25 }, { "variant": "off", "weight": 75 } ] } } },
            { "key": "reel-theme", "kind": "string", "on": true,
              "variants": { "classic": "classic", "neon": "neon", "gold": "gold" }, "offVariant": "classic",
              "defaultRule": { "variant": "neon" } }
          ]
        }
        """;

    private readonly Dictionary<string, bool> _reference = new(StringComparer.Ordinal) { ["new-bonus-engine"] = true, ["bonus-canary"] = false };
    private readonly string _referenceKey = new("new-bonus-engine".ToCharArray());
    private FlagClient _flags = null!;
    private EvaluationContext _player = null!;
    private IVariantFeatureManager _featureManager = null!;
    private TargetingContext _targeting = null!;

    [GlobalSetup]
    public void Setup()
    {
        var file = FlagJson.ParseFile(System.Text.Encoding.UTF8.GetBytes(Flags), "benchmark");
        _flags = new FlagClient(new InMemoryFlagSource(file));
        _flags.StartAsync().GetAwaiter().GetResult();

        // Misses all three rules (so every condition and the segment run) and lands in the 25 % split.
        _player = new EvaluationContext { AccountId = "player-1234567", Region = "eu", Segment = "silver", ClientVersion = "3.4.1" };

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["feature_management:feature_flags:0:id"] = "NewBonusEngine",
            ["feature_management:feature_flags:0:enabled"] = "true",
            ["feature_management:feature_flags:1:id"] = "BonusCanary",
            ["feature_management:feature_flags:1:enabled"] = "true",
            ["feature_management:feature_flags:1:conditions:client_filters:0:name"] = "Microsoft.Targeting",
            ["feature_management:feature_flags:1:conditions:client_filters:0:parameters:Audience:Users:0"] = "vip-1",
            ["feature_management:feature_flags:1:conditions:client_filters:0:parameters:Audience:Groups:0:Name"] = "gold",
            ["feature_management:feature_flags:1:conditions:client_filters:0:parameters:Audience:Groups:0:RolloutPercentage"] = "100",
            ["feature_management:feature_flags:1:conditions:client_filters:0:parameters:Audience:DefaultRolloutPercentage"] = "25",
            ["feature_management:feature_flags:1:conditions:client_filters:0:parameters:Audience:Exclusion:Groups:0"] = "us",
            ["feature_management:feature_flags:2:id"] = "ReelTheme",
            ["feature_management:feature_flags:2:enabled"] = "true",
            ["feature_management:feature_flags:2:variants:0:name"] = "classic",
            ["feature_management:feature_flags:2:variants:0:configuration_value"] = "classic",
            ["feature_management:feature_flags:2:variants:1:name"] = "neon",
            ["feature_management:feature_flags:2:variants:1:configuration_value"] = "neon",
            ["feature_management:feature_flags:2:allocation:default_when_enabled"] = "neon",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddFeatureManagement();
        _featureManager = services.BuildServiceProvider().GetRequiredService<IVariantFeatureManager>();
        _targeting = new TargetingContext { UserId = "player-1234567", Groups = ["eu", "silver"] };

        Check();
    }

    [GlobalCleanup]
    public void Cleanup() => _flags.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "FeatureManagement: plain feature")]
    [BenchmarkCategory("1 Boolean flag")]
    public ValueTask<bool> FeatureManagementPlain() => _featureManager.IsEnabledAsync("NewBonusEngine");

    [Benchmark(Description = "FlagKit: IsEnabled, no rules")]
    [BenchmarkCategory("1 Boolean flag")]
    public bool FlagKitBoolean() => _flags.IsEnabled("new-bonus-engine", _player);

    // A yardstick for the machine: one lookup of the same key in a plain dictionary. On a shared or throttled machine
    // absolute times inflate; FlagKit's cost in "dictionary lookups" does not.
    [Benchmark(Description = "Reference: Dictionary<string, bool> lookup")]
    [BenchmarkCategory("1 Boolean flag")]
    public bool DictionaryLookup() => _reference.TryGetValue(_referenceKey, out var value) && value;

    [Benchmark(Baseline = true, Description = "FeatureManagement: Targeting filter, 25 %")]
    [BenchmarkCategory("2 Targeted flag")]
    public ValueTask<bool> FeatureManagementTargeting() => _featureManager.IsEnabledAsync("BonusCanary", _targeting);

    [Benchmark(Description = "FlagKit: 3 rules, a segment, 25 % split")]
    [BenchmarkCategory("2 Targeted flag")]
    public bool FlagKitTargeted() => _flags.IsEnabled("bonus-canary", _player);

    [Benchmark(Baseline = true, Description = "FeatureManagement: variant feature")]
    [BenchmarkCategory("3 String variant")]
    public async ValueTask<string?> FeatureManagementVariant() => (await _featureManager.GetVariantAsync("ReelTheme", _targeting).ConfigureAwait(false))?.Name;

    [Benchmark(Description = "FlagKit: GetString")]
    [BenchmarkCategory("3 String variant")]
    public string FlagKitString() => _flags.GetString("reel-theme", _player, "classic");

    // The setup is only worth measuring if each side answers as intended.
    private void Check()
    {
        var canary = _flags.GetBoolDetails("bonus-canary", _player);
        if (canary.Reason != EvaluationReason.Split || !_flags.IsEnabled("new-bonus-engine") || _flags.GetString("reel-theme") != "neon"
            || !_featureManager.IsEnabledAsync("NewBonusEngine").AsTask().GetAwaiter().GetResult()
            || _featureManager.GetVariantAsync("ReelTheme", _targeting).AsTask().GetAwaiter().GetResult()?.Name != "neon")
        {
            throw new InvalidOperationException($"Benchmark setup is wrong: canary {canary}.");
        }
    }
}
