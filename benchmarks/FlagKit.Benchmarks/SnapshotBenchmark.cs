using BenchmarkDotNet.Attributes;
using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Benchmarks;

/// <summary>Building a snapshot of 10 000 flags, and applying a one-flag delta to it (targets in docs/architecture.md: ≤ 50 ms; the delta ≤ 50 µs is open).</summary>
public class SnapshotBenchmark
{
    private const int FlagCount = 10_000;

    private FlagFile _file = null!;
    private FlagSnapshot _snapshot = null!;
    private FlagDocument _changed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _file = new FlagFile
        {
            Segments = [FlagJson.ParseSegment("""{ "key": "vip", "included": ["vip-1", "vip-2"] }"""u8)],
            Flags = [.. Enumerable.Range(0, FlagCount).Select(i => Flag(i, rollout: 5))],
        };
        _snapshot = SnapshotBuilder.Build(_file, 1);
        _changed = Flag(FlagCount / 2, rollout: 25);
    }

    [Benchmark(Description = "Build: 10 000 flags (strict)")]
    public FlagSnapshot Build() => SnapshotBuilder.Build(_file, 2);

    [Benchmark(Description = "ApplyDelta: 1 flag of 10 000")]
    public FlagSnapshot ApplyDelta() => SnapshotBuilder.ApplyDelta(_snapshot, 2, [_changed], [], [], [], []);

    // What an SDK does per one-flag delta before the swap: apply it, then find the keys FlagsChanged reports.
    [Benchmark(Description = "ApplyDelta + changed keys: 1 flag of 10 000")]
    public string[] ApplyDeltaAndDiff() =>
        Evaluation.SnapshotDiff.ChangedKeys(_snapshot, SnapshotBuilder.ApplyDelta(_snapshot, 2, [_changed], [], [], [], []));

    // A typical release flag: a region rule, a segment rule, and a percentage rollout.
    private static FlagDocument Flag(int i, int rollout) => FlagJson.ParseFlag(System.Text.Encoding.UTF8.GetBytes($$"""
        { "key": "flag-{{i}}", "kind": "bool", "on": true, "tags": ["team-{{i % 20}}"],
          "variants": { "on": true, "off": false }, "offVariant": "off",
          "rules": [
            { "id": "blocked", "conditions": [ { "attribute": "region", "op": "in", "values": ["us", "fr"] } ], "variant": "off" },
            { "id": "vip", "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "on" } ],
          "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": {{rollout}} }, { "variant": "off", "weight": {{100 - rollout}} } ] } } }
        """));
}
