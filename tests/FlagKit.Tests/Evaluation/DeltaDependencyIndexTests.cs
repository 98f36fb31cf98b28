using FlagKit.Compilation;

namespace FlagKit.Tests.Evaluation;

/// <summary>
/// A delta finds what a change affects through the snapshot's dependency index, handed from snapshot to snapshot while
/// no edge changes (so a one-flag delta never rescans every flag), and rebuilt when one does.
/// </summary>
public sealed class DeltaDependencyIndexTests
{
    private const string VipRule = """ "rules": [ { "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "on" } ] """;

    private static readonly string Vip = """{ "key": "vip", "included": ["acct-1"] }""";

    [Test]
    public void ApplyDelta_NoEdgeChanged_HandsTheIndexOn()
    {
        var previous = TestDocuments.Snapshot(TestDocuments.FileJson(
            TestDocuments.BoolFlag("a", VipRule, defaultVariant: "off") + "," + TestDocuments.BoolFlag("b"), Vip));
        var index = previous.Dependencies;

        var next = SnapshotBuilder.ApplyDelta(previous, 2, [TestDocuments.Flag(TestDocuments.BoolFlag("a", VipRule, defaultVariant: "on"))], [], [], [], []);

        Assert.That(next.DependenciesIfBuilt, Is.SameAs(index), "a flag edited without changing what it names keeps the index");
        Assert.That(Evaluation_ChangedKeys(previous, next), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public void ApplyDelta_FlagStartsUsingASegment_ALaterSegmentChangeReachesIt()
    {
        var first = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("a", defaultVariant: "off") + "," + TestDocuments.BoolFlag("b"), Vip));
        _ = first.Dependencies;

        var second = SnapshotBuilder.ApplyDelta(first, 2, [TestDocuments.Flag(TestDocuments.BoolFlag("a", VipRule, defaultVariant: "off"))], [], [], [], []);
        Assert.That(second.DependenciesIfBuilt, Is.Null, "a new edge: the index is not handed on");

        var third = SnapshotBuilder.ApplyDelta(second, 3, [], [TestDocuments.Segment("""{ "key": "vip", "included": ["acct-2"] }""")], [], [], []);

        Assert.That(third.Evaluate("a", new EvaluationContext { AccountId = "acct-2" }).Variant?.Name, Is.EqualTo("on"), "recompiled against the new segment");
        Assert.That(third.Evaluate("a", new EvaluationContext { AccountId = "acct-1" }).Variant?.Name, Is.EqualTo("off"));
        Assert.That(Evaluation_ChangedKeys(second, third), Is.EqualTo(new[] { "a" }), "the flag using the segment changed; b did not");
    }

    [Test]
    public void ChangedKeys_PrerequisiteChanged_NamesItsDependents()
    {
        var prerequisite = """ "prerequisites": [ { "flag": "a", "variant": "on" } ] """;
        var previous = TestDocuments.Snapshot(TestDocuments.FileJson(
            TestDocuments.BoolFlag("a") + "," + TestDocuments.BoolFlag("b", prerequisite) + "," + TestDocuments.BoolFlag("c")));

        var next = SnapshotBuilder.ApplyDelta(previous, 2, [TestDocuments.Flag(TestDocuments.BoolFlag("a", defaultVariant: "off"))], [], [], [], []);

        Assert.That(Evaluation_ChangedKeys(previous, next), Is.EqualTo(new[] { "a", "b" }));
    }

    private static string[] Evaluation_ChangedKeys(FlagSnapshot previous, FlagSnapshot next) => FlagKit.Evaluation.SnapshotDiff.ChangedKeys(previous, next);
}
