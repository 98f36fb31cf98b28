using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Sources;

namespace FlagKit.Tests;

public sealed class FlagSnapshotTests
{
    [Test]
    public void Evaluate_WhileSnapshotsAreSwappedThousandsOfTimes_EveryResultComesFromOneRevision()
    {
        // Revision N: "parent" serves variant "vN"; "child" requires parent = "vN" and serves "N". An evaluation that
        // mixed two snapshots would see child from one revision and parent from another: PREREQUISITE_FAILED, or a
        // value that does not match the revision reported.
        const int Swaps = 3000;
        var client = new FlagClient(new InMemoryFlagSource());
        var sink = (ISnapshotSink)client; // the built-in sources' path: a snapshot built aside
        sink.Publish(Revision(1));
        var done = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var seen = new long[3];

        var readers = Enumerable.Range(0, 3).Select(r => new Thread(() =>
        {
            var context = EvaluationContext.ForAccount("42");
            var last = 0L;
            var distinct = 0L;
            while (Volatile.Read(ref done) == 0)
            {
                var details = client.GetStringDetails("child", context, "none");
                var expected = details.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (details.Reason != EvaluationReason.Default || details.Value != expected || details.Revision < last)
                {
                    failures.Enqueue($"{details} after revision {last}");
                    return;
                }

                distinct += details.Revision != last ? 1 : 0;
                last = details.Revision;
            }

            seen[r] = distinct;
        })).ToList();
        readers.ForEach(t => t.Start());

        for (var revision = 2; revision <= Swaps; revision++)
        {
            sink.Publish(Revision(revision));
        }

        Volatile.Write(ref done, 1);
        readers.ForEach(t => t.Join());

        Assert.That(failures, Is.Empty);
        Assert.That(client.Snapshot.Revision, Is.EqualTo(Swaps));
        Assert.That(seen.Sum(), Is.GreaterThan(3), "the readers overlapped with the swaps");
    }

    [Test]
    public void ContentHash_SameDocumentsAnyRevisionOrOrder_SameHash()
    {
        var a = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("a") + "," + TestDocuments.BoolFlag("b")), revision: 1);
        var b = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("b") + "," + TestDocuments.BoolFlag("a")), revision: 9);
        var c = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("a") + "," + TestDocuments.BoolFlag("b", defaultVariant: "off")), revision: 1);

        Assert.That(a.ContentHash, Is.EqualTo(b.ContentHash));
        Assert.That(a.ContentHash, Is.Not.EqualTo(c.ContentHash));
        Assert.That(a.ContentHash, Does.Match("^[0-9a-f]{64}$"));
    }

    [Test]
    public void ToFile_RoundTrip_BuildsTheSameSnapshot()
    {
        var snapshot = TestDocuments.Snapshot(TestDocuments.FileJson(
            TestDocuments.BoolFlag("b", """ "rules": [ { "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "off" } ] """) + "," + TestDocuments.BoolFlag("a"),
            """{ "key": "vip", "included": ["1"] }"""));

        var file = snapshot.ToFile();
        var again = SnapshotBuilder.Build(FlagJson.ParseFile(FlagJson.SerializeFile(file), "export"), 2);

        Assert.That(file.Flags.Select(f => f.Key), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(again.ContentHash, Is.EqualTo(snapshot.ContentHash));
    }

    [Test]
    public void Empty_HasNoFlagsAtRevisionZero()
    {
        Assert.That((FlagSnapshot.Empty.Revision, FlagSnapshot.Empty.FlagCount, FlagSnapshot.Empty.SegmentCount), Is.EqualTo((0L, 0, 0)));
        Assert.That(FlagSnapshot.Empty.Evaluate("anything", null).Reason, Is.EqualTo(EvaluationReason.FlagNotFound));
    }

    private static FlagSnapshot Revision(long revision)
    {
        var r = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var file = new FlagFile
        {
            Flags =
            [
                TestDocuments.Flag($$"""{ "key": "parent", "kind": "string", "on": true, "variants": { "v{{r}}": "x", "off": "y" }, "offVariant": "off", "defaultRule": { "variant": "v{{r}}" } }"""),
                TestDocuments.Flag($$"""{ "key": "child", "kind": "string", "on": true, "variants": { "now": "{{r}}", "off": "off" }, "offVariant": "off", "prerequisites": [ { "flag": "parent", "variant": "v{{r}}" } ], "defaultRule": { "variant": "now" } }"""),
            ],
        };
        return SnapshotBuilder.Build(file, revision);
    }
}
