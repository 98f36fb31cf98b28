using BenchmarkDotNet.Attributes;
using FlagKit.Compilation;
using FlagKit.Sources;
using FlagKit.Versioning;

namespace FlagKit.Benchmarks;

/// <summary>
/// The versioning helpers on a request path: parsing and comparing versions, a range test, and resolving a version
/// flag with and without a pin (the in-memory pin store, the default).
/// </summary>
public class VersioningBenchmark
{
    private const string Flags = """
        {
          "schema": 1,
          "flags": [
            { "key": "calc-engine", "kind": "version", "on": true,
              "variants": { "v14": "1.4.0", "v15": "1.5.0" }, "offVariant": "v14",
              "defaultRule": { "split": { "variants": [ { "variant": "v15", "weight": 50 }, { "variant": "v14", "weight": 50 } ] } } }
          ]
        }
        """;

    private readonly SemanticVersion _left = SemanticVersion.Parse("3.4.1-beta.2");
    private readonly SemanticVersion _right = SemanticVersion.Parse("3.4.1-beta.10");
    private readonly VersionRange _range = VersionRange.Parse(">=2.3.0 <4.0.0 || ^5.1");
    private FlagClient _flags = null!;
    private EvaluationContext _player = null!;

    [GlobalSetup]
    public void Setup()
    {
        var file = FlagJson.ParseFile(System.Text.Encoding.UTF8.GetBytes(Flags), "benchmark");
        _flags = new FlagClient(new InMemoryFlagSource(file));
        _flags.StartAsync().GetAwaiter().GetResult();
        _player = EvaluationContext.ForAccount("player-1234567");

        // The pin exists from here on: the measured call reads it.
        if (_flags.GetVersion("calc-engine", _player, pinKey: "round-42").Source is not (VersionSource.PinCreated or VersionSource.Pinned))
        {
            throw new InvalidOperationException("Benchmark setup is wrong: the round was not pinned.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _flags.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "SemanticVersion.Parse (with pre-release)")]
    public SemanticVersion Parse() => SemanticVersion.Parse("3.4.1-beta.2");

    [Benchmark(Description = "SemanticVersion.CompareTo (pre-release identifiers)")]
    public int Compare() => _left.CompareTo(_right);

    [Benchmark(Description = "VersionRange.IsSatisfiedBy (two comparator sets)")]
    public bool Range() => _range.IsSatisfiedBy(_left);

    [Benchmark(Description = "GetVersion, no pin (50 % split)")]
    public SemanticVersion Evaluate() => _flags.GetVersion("calc-engine", _player).Version;

    [Benchmark(Description = "GetVersion, pinned round (in-memory store)")]
    public SemanticVersion Pinned() => _flags.GetVersion("calc-engine", _player, pinKey: "round-42").Version;
}
