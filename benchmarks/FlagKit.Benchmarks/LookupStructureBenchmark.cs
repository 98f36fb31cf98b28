using System.Collections.Frozen;
using BenchmarkDotNet.Attributes;
using FlagKit.Evaluation;

namespace FlagKit.Benchmarks;

/// <summary>
/// The evaluator's own lookup structures against the platform's frozen collections, as a yardstick: <see cref="TextMap{TValue}"/>
/// (individual targets, large id sets), <see cref="PagedTextMap{TValue}"/> (the snapshot's flag map) and <see cref="TextSet"/> (an <c>in</c> list, a segment's
/// includes) must beat <see cref="FrozenDictionary{TKey, TValue}"/> and <see cref="FrozenSet{T}"/> to earn their code.
/// </summary>
/// <remarks>
/// The custom structures are probed with the hash an <see cref="AttributeValue"/> computed once when the context was built
/// (one context's account id is looked up in the targets, in segments and in splits); the frozen ones hash at every call,
/// as they would in their place. The "hash + probe" rows charge the custom structure its hash too, for a single lookup.
/// Flag keys are the interned literals game code passes (the snapshot interns its keys, so they match by reference);
/// account ids and regions are fresh strings, as they come from a request.
/// </remarks>
[BenchmarkCategory("Lookup")]
public class LookupStructureBenchmark
{
    private const int FlagCount = 10_000;
    private const int IdCount = 100_000;

    private TextMap<object> _flags = null!;
    private PagedTextMap<object> _pagedFlags = null!;
    private FrozenDictionary<string, object> _frozenFlags = null!;
    private string _flagKey = null!;

    private TextSet _regions;
    private FrozenSet<string> _frozenRegions = null!;
    private string _regionHit = null!;
    private int _regionHitHash;
    private string _regionMiss = null!;
    private int _regionMissHash;

    private TextMap<bool> _ids = null!;
    private FrozenSet<string> _frozenIds = null!;
    private string _idHit = null!;
    private int _idHitHash;

    [GlobalSetup]
    public void Setup()
    {
        var keys = Enumerable.Range(0, FlagCount).Select(i => string.Intern($"flag-{i}")).ToArray();
        _flags = new TextMap<object>(keys.Select(k => new KeyValuePair<string, object>(k, new object())));
        _pagedFlags = PagedTextMap<object>.Create(keys.Select(k => new KeyValuePair<string, object>(k, new object())));
        _frozenFlags = keys.ToFrozenDictionary(k => k, _ => new object(), StringComparer.Ordinal);
        _flagKey = string.Intern("flag-5000");

        string[] regions = ["eu", "uk", "mt"];
        _regions = new TextSet(regions);
        _frozenRegions = regions.ToFrozenSet(StringComparer.Ordinal);
        _regionHit = Fresh("mt");
        _regionHitHash = TextHash.Of(_regionHit);
        _regionMiss = Fresh("us");
        _regionMissHash = TextHash.Of(_regionMiss);

        var ids = Enumerable.Range(0, IdCount).Select(i => $"player-{i:D8}").ToArray();
        _ids = TextMap<bool>.Set(ids, true);
        _frozenIds = ids.ToFrozenSet(StringComparer.Ordinal);
        _idHit = Fresh("player-00054321");
        _idHitHash = TextHash.Of(_idHit);
    }

    [BenchmarkCategory("Flag map, 10 000 flags"), Benchmark(Baseline = true, Description = "FrozenDictionary.TryGetValue")]
    public bool FlagsFrozen() => _frozenFlags.TryGetValue(_flagKey, out _);

    [BenchmarkCategory("Flag map, 10 000 flags"), Benchmark(Description = "TextMap.TryGetValue (hash + probe)")]
    public bool FlagsTextMap() => _flags.TryGetValue(_flagKey, out _);

    // The snapshot's flag map since deltas became O(change): one more array load (the page) than TextMap.
    [BenchmarkCategory("Flag map, 10 000 flags"), Benchmark(Description = "PagedTextMap.TryGetValue (hash + probe)")]
    public bool FlagsPagedTextMap() => _pagedFlags.TryGetValue(_flagKey, out _);

    [BenchmarkCategory("in list of 3, hit"), Benchmark(Baseline = true, Description = "FrozenSet.Contains")]
    public bool RegionHitFrozen() => _frozenRegions.Contains(_regionHit);

    [BenchmarkCategory("in list of 3, hit"), Benchmark(Description = "TextSet.Contains (hash known)")]
    public bool RegionHitTextSet() => _regions.Contains(_regionHit, _regionHitHash);

    [BenchmarkCategory("in list of 3, hit"), Benchmark(Description = "TextSet.Contains (hash + probe)")]
    public bool RegionHitTextSetHashed() => _regions.Contains(_regionHit, TextHash.Of(_regionHit));

    [BenchmarkCategory("in list of 3, miss"), Benchmark(Baseline = true, Description = "FrozenSet.Contains")]
    public bool RegionMissFrozen() => _frozenRegions.Contains(_regionMiss);

    [BenchmarkCategory("in list of 3, miss"), Benchmark(Description = "TextSet.Contains (hash known)")]
    public bool RegionMissTextSet() => _regions.Contains(_regionMiss, _regionMissHash);

    [BenchmarkCategory("in list of 3, miss"), Benchmark(Description = "TextSet.Contains (hash + probe)")]
    public bool RegionMissTextSetHashed() => _regions.Contains(_regionMiss, TextHash.Of(_regionMiss));

    [BenchmarkCategory("100 000 ids, hit"), Benchmark(Baseline = true, Description = "FrozenSet.Contains")]
    public bool IdsFrozen() => _frozenIds.Contains(_idHit);

    [BenchmarkCategory("100 000 ids, hit"), Benchmark(Description = "TextMap.ContainsKey (hash known)")]
    public bool IdsTextMap() => _ids.ContainsKey(_idHit, _idHitHash);

    [BenchmarkCategory("100 000 ids, hit"), Benchmark(Description = "TextMap.ContainsKey (hash + probe)")]
    public bool IdsTextMapHashed() => _ids.ContainsKey(_idHit, TextHash.Of(_idHit));

    private static string Fresh(string text) => new(text.AsSpan());
}
