using FlagKit.Protocol.V1;
using FlagKit.Sources;
using Google.Protobuf;

namespace FlagKit.Tests.Sources;

public sealed class GrpcSyncBatchTests
{
    [Test]
    public void Add_SnapshotParts_CollectsEveryDocumentAtOneRevision()
    {
        var batch = new GrpcSyncBatch();

        Assert.That(batch.Add(Snap(7, "a", "b")), Is.Null);
        Assert.That(batch.Add(Snap(7, "c")), Is.Null);
        Assert.That(batch.CheckTransferred(7), Is.Null);

        Assert.That(batch.Kind, Is.EqualTo(GrpcSyncBatchKind.Snapshot));
        Assert.That(batch.SnapshotDocuments.Select(d => d.Key), Is.EqualTo(new[] { "a", "b", "c" }));
    }

    [Test]
    public void Add_DeltaParts_MergesByDocumentLastWordWins()
    {
        var batch = new GrpcSyncBatch();

        Assert.That(batch.Add(DeltaOf(5, 6, upserts: ["a", "b"]), heldRevision: 5), Is.Null);
        Assert.That(batch.Add(DeltaOf(6, 7, upserts: ["c"], removed: ["a"]), heldRevision: 5), Is.Null);
        Assert.That(batch.Add(DeltaOf(7, 8, upserts: ["a"], removed: ["b"]), heldRevision: 5), Is.Null);
        Assert.That(batch.CheckTransferred(8), Is.Null);

        Assert.That(batch.FromRevision, Is.EqualTo(5));
        Assert.That(batch.ToRevision, Is.EqualTo(8));
        Assert.That(batch.Changes[(DocumentKind.Flag, "a")], Is.Not.Null);
        Assert.That(batch.Changes[(DocumentKind.Flag, "b")], Is.Null);
        Assert.That(batch.Changes[(DocumentKind.Flag, "c")], Is.Not.Null);
    }

    [Test]
    public void Add_DeltaSpanningSeveralMessagesWithOneRange_IsAccepted()
    {
        var batch = new GrpcSyncBatch();

        Assert.That(batch.Add(DeltaOf(5, 9, upserts: ["a"]), heldRevision: 5), Is.Null);
        Assert.That(batch.Add(DeltaOf(5, 9, upserts: ["b"]), heldRevision: 5), Is.Null);

        Assert.That(batch.Changes, Has.Count.EqualTo(2));
    }

    private static readonly object[] Violations =
    [
        new object[] { "delta not from the held revision", (Func<GrpcSyncBatch, string?>)(b => b.Add(DeltaOf(4, 6), heldRevision: 5)), "holds revision 5" },
        new object[] { "delta after snapshot", (Func<GrpcSyncBatch, string?>)(b => b.Add(Snap(3)) ?? b.Add(DeltaOf(3, 4), 3)), "middle of a Snapshot" },
        new object[] { "snapshot after delta", (Func<GrpcSyncBatch, string?>)(b => b.Add(DeltaOf(3, 4), 3) ?? b.Add(Snap(4))), "middle of a Delta" },
        new object[] { "snapshot parts disagree", (Func<GrpcSyncBatch, string?>)(b => b.Add(Snap(3)) ?? b.Add(Snap(4))), "revisions 3 and 4" },
        new object[] { "gap between delta parts", (Func<GrpcSyncBatch, string?>)(b => b.Add(DeltaOf(3, 4), 3) ?? b.Add(DeltaOf(5, 6), 3)), "does not follow" },
        new object[] { "delta going backwards", (Func<GrpcSyncBatch, string?>)(b => b.Add(DeltaOf(3, 2), 3)), "backwards" },
        new object[] { "marker at another revision", (Func<GrpcSyncBatch, string?>)(b => b.Add(Snap(3)) ?? b.CheckTransferred(4)), "batch is at revision 3" },
    ];

    [TestCaseSource(nameof(Violations))]
    public void Add_ProtocolViolation_IsNamed(string scenario, Delegate act, string expected)
    {
        var violation = ((Func<GrpcSyncBatch, string?>)act)(new GrpcSyncBatch());

        Assert.That(violation, Does.Contain(expected), scenario);
    }

    [Test]
    public void CheckTransferred_EmptyBatch_AcceptsAnyRevision()
    {
        Assert.That(new GrpcSyncBatch().CheckTransferred(42), Is.Null);
    }

    private static Snapshot Snap(long revision, params string[] keys)
    {
        var snapshot = new Snapshot { Revision = revision };
        snapshot.Documents.AddRange(keys.Select(Doc));
        return snapshot;
    }

    private static Delta DeltaOf(long from, long to, string[]? upserts = null, string[]? removed = null)
    {
        var delta = new Delta { FromRevision = from, ToRevision = to };
        delta.Upserts.AddRange((upserts ?? []).Select(Doc));
        delta.Removed.AddRange((removed ?? []).Select(k => new DocumentRef { Kind = DocumentKind.Flag, Key = k }));
        return delta;
    }

    private static Document Doc(string key) => new() { Kind = DocumentKind.Flag, Key = key, Json = ByteString.CopyFromUtf8($"{{\"key\":\"{key}\"}}") };
}
