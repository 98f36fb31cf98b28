using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Tests.Compilation;

/// <summary>
/// Property: any sequence of valid deltas applied one after another gives the snapshot a full build of the same
/// documents gives: the same flags and segments, the same <see cref="FlagSnapshot.ContentHash"/>, the same evaluation
/// (variant and reason) of every flag for every context.
/// </summary>
public sealed class ApplyDeltaPropertyTests
{
    private static readonly EvaluationContext[] Contexts =
    [
        EvaluationContext.Empty,
        new() { AccountId = "1", Region = "fr" },
        new() { AccountId = "2", Region = "us" },
        new() { AccountId = "vip-7", Region = "de" },
        new() { AccountId = "player-42", Region = "fr" },
    ];

    [TestCase(11)]
    [TestCase(12)]
    [TestCase(13)]
    public void ApplyDelta_RandomSequenceOfDeltas_SameSnapshotAsAFullBuild(int seed)
    {
        var model = new Model(new Random(seed));
        var snapshot = SnapshotBuilder.Build(model.File(), 1);
        for (var revision = 2; revision < 80; revision++)
        {
            var delta = model.NextDelta();
            var failures = new List<DocumentFailure>();

            snapshot = SnapshotBuilder.ApplyDelta(snapshot, revision, delta.Flags, delta.Segments, delta.RemovedFlags, delta.RemovedSegments, failures);
            var full = SnapshotBuilder.Build(model.File(), revision);

            Assert.That(failures, Is.Empty, $"revision {revision}: every delta is valid");
            AssertSame(snapshot, full, $"seed {seed}, revision {revision} ({delta})");
        }
    }

    [TestCase(21)]
    [TestCase(22)]
    public void ChangedKeys_RandomSequenceOfDeltas_SameKeysAsAFullComparison(int seed)
    {
        // The delta's own account of what it touched (O(change)) must name exactly the keys a comparison of every
        // flag and segment names (the full build has no lineage, so ChangedKeys compares everything).
        var model = new Model(new Random(seed));
        var snapshot = SnapshotBuilder.Build(model.File(), 1);
        for (var revision = 2; revision < 80; revision++)
        {
            var delta = model.NextDelta();
            var next = SnapshotBuilder.ApplyDelta(snapshot, revision, delta.Flags, delta.Segments, delta.RemovedFlags, delta.RemovedSegments, []);
            var full = SnapshotBuilder.Build(model.File(), revision);

            Assert.That(next.Lineage, Is.Not.Null);
            Assert.That(FlagKit.Evaluation.SnapshotDiff.ChangedKeys(snapshot, next), Is.EqualTo(FlagKit.Evaluation.SnapshotDiff.ChangedKeys(snapshot, full)),
                $"seed {seed}, revision {revision} ({delta})");
            snapshot = next;
        }
    }

    private static void AssertSame(FlagSnapshot delta, FlagSnapshot full, string where)
    {
        Assert.That(delta.FlagKeys.Order(StringComparer.Ordinal), Is.EqualTo(full.FlagKeys.Order(StringComparer.Ordinal)), where);
        Assert.That(delta.Segments.Keys.Order(StringComparer.Ordinal), Is.EqualTo(full.Segments.Keys.Order(StringComparer.Ordinal)), where);
        Assert.That(delta.ContentHash, Is.EqualTo(full.ContentHash), where);
        foreach (var key in full.FlagKeys)
        {
            foreach (var context in Contexts)
            {
                var a = delta.Evaluate(key, context);
                var b = full.Evaluate(key, context);
                if (a.Variant?.Name != b.Variant?.Name || a.Reason != b.Reason || a.ErrorCode != b.ErrorCode)
                {
                    Assert.Fail($"{where}: flag {key} for {context.AccountId}: delta {a.Variant?.Name}/{a.Reason}, full build {b.Variant?.Name}/{b.Reason}");
                }
            }
        }
    }

    private sealed record Delta(List<FlagDocument> Flags, List<SegmentDocument> Segments, List<string> RemovedFlags, List<string> RemovedSegments)
    {
        public override string ToString() =>
            $"{Flags.Count} flags, {Segments.Count} segments upserted; {RemovedFlags.Count} flags, {RemovedSegments.Count} segments removed";
    }

    /// <summary>The documents as the server holds them, changed at random but always valid (no cycle, nothing used is removed).</summary>
    private sealed class Model(Random random)
    {
        private readonly SortedDictionary<int, string> _flags = new(Enumerable.Range(0, 150).ToDictionary(i => i, i => ""));
        private readonly SortedDictionary<int, string> _segments = [];
        private int _version;

        public FlagFile File()
        {
            Fill();
            return new FlagFile
            {
                Flags = [.. _flags.Select(f => TestDocuments.Flag(f.Value))],
                Segments = [.. _segments.Select(s => TestDocuments.Segment(s.Value))],
            };
        }

        public Delta NextDelta()
        {
            var delta = new Delta([], [], [], []);
            var changes = random.Next(12) == 0 ? random.Next(20, 60) : random.Next(1, 3);
            var touched = new HashSet<string>(StringComparer.Ordinal);
            for (var c = 0; c < changes; c++)
            {
                switch (random.Next(10))
                {
                    case < 6:
                        var id = random.Next(220);
                        if (touched.Add($"f{id}"))
                        {
                            _flags[id] = FlagJson(id);
                            delta.Flags.Add(TestDocuments.Flag(_flags[id]));
                        }

                        break;
                    case < 8:
                        var gone = random.Next(220);
                        if (_flags.ContainsKey(gone) && !Required(gone) && touched.Add($"f{gone}"))
                        {
                            _flags.Remove(gone);
                            delta.RemovedFlags.Add($"flag-{gone}");
                        }

                        break;
                    case 8:
                        var segment = random.Next(8);
                        if (touched.Add($"s{segment}"))
                        {
                            _segments[segment] = SegmentJson(segment);
                            delta.Segments.Add(TestDocuments.Segment(_segments[segment]));
                        }

                        break;
                    default:
                        var unused = random.Next(8);
                        if (_segments.ContainsKey(unused) && !SegmentUsed(unused) && touched.Add($"s{unused}"))
                        {
                            _segments.Remove(unused);
                            delta.RemovedSegments.Add($"segment-{unused}");
                        }

                        break;
                }
            }

            return delta;
        }

        private void Fill()
        {
            foreach (var id in _flags.Keys.Where(k => _flags[k].Length == 0).ToList())
            {
                _flags[id] = FlagJson(id);
            }
        }

        private bool Required(int id) => _flags.Values.Any(json => json.Contains($"\"flag\": \"flag-{id}\"", StringComparison.Ordinal));

        private bool SegmentUsed(int id) =>
            _flags.Values.Concat(_segments.Values).Any(json => json.Contains($"\"segment-{id}\"", StringComparison.Ordinal) && !json.StartsWith($"{{ \"key\": \"segment-{id}\"", StringComparison.Ordinal));

        // Prerequisites only on lower ids and segments only on lower segments: never a cycle.
        private string FlagJson(int id)
        {
            var rules = new List<string>();
            if (random.Next(3) == 0)
            {
                rules.Add("""{ "conditions": [ { "attribute": "region", "op": "in", "values": ["fr", "de"] } ], "variant": "off" }""");
            }

            if (random.Next(3) == 0 && _segments.Count != 0)
            {
                var segment = _segments.Keys.ElementAt(random.Next(_segments.Count));
                rules.Add($$"""{ "conditions": [ { "op": "inSegment", "values": ["segment-{{segment}}"] } ], "variant": "on" }""");
            }

            var prerequisites = "";
            var lower = _flags.Keys.Where(k => k < id && _flags[k].Length != 0).ToList();
            if (random.Next(5) == 0 && lower.Count != 0)
            {
                prerequisites = $$""", "prerequisites": [ { "flag": "flag-{{lower[random.Next(lower.Count)]}}", "variant": "on" } ]""";
            }

            var rollout = random.Next(101);
            var serve = random.Next(2) == 0
                ? $$"""{ "variant": "{{(random.Next(2) == 0 ? "on" : "off")}}" }"""
                : $$"""{ "split": { "variants": [ { "variant": "on", "weight": {{rollout}} }, { "variant": "off", "weight": {{100 - rollout}} } ] } }""";
            return $$"""
                { "key": "flag-{{id}}", "kind": "bool", "on": {{(random.Next(6) == 0 ? "false" : "true")}}, "version": {{++_version}},
                  "variants": { "on": true, "off": false }, "offVariant": "off",
                  "rules": [ {{string.Join(", ", rules)}} ], "defaultRule": {{serve}}{{prerequisites}} }
                """;
        }

        private string SegmentJson(int id)
        {
            var lower = _segments.Keys.Where(k => k < id).ToList();
            var rules = random.Next(2) == 0 && lower.Count != 0
                ? $$""", "rules": [ { "conditions": [ { "op": "inSegment", "values": ["segment-{{lower[random.Next(lower.Count)]}}"] } ] } ]"""
                : "";
            return $$"""{ "key": "segment-{{id}}", "included": ["vip-{{random.Next(10)}}", "{{random.Next(3)}}"]{{rules}} }""";
        }
    }
}
