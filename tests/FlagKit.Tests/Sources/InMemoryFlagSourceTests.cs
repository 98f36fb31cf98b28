using FlagKit.Documents;
using FlagKit.Sources;

namespace FlagKit.Tests.Sources;

public sealed class InMemoryFlagSourceTests
{
    private static FlagFile Wallet() => TestDocuments.File(TestDocuments.FileJson(
        TestDocuments.BoolFlag("wallet-a", """ "tags": ["wallet"] """) + "," +
        TestDocuments.BoolFlag("wallet-b", """ "tags": ["wallet", "payments"] """) + "," +
        TestDocuments.BoolFlag("lobby", """ "tags": ["ui"] """)));

    [Test]
    public async Task KillTag_TaggedFlags_AllKilledInOneRevision()
    {
        var source = new InMemoryFlagSource(Wallet());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var events = new List<FlagsChangedEventArgs>();
        client.FlagsChanged += (_, e) => events.Add(e);

        var killed = source.KillTag("wallet");

        Assert.That(killed, Is.EqualTo(new[] { "wallet-a", "wallet-b" }));
        // Events are raised on the client's own task, just after the swap.
        Assert.That(() => events.Count, Is.EqualTo(1).After(5000, 10));
        Assert.That(events.Single().Keys, Is.EqualTo(new[] { "wallet-a", "wallet-b" }));
        Assert.That(client.GetBoolDetails("wallet-a").Reason, Is.EqualTo(EvaluationReason.Killed));
        Assert.That(client.GetBoolDetails("wallet-b").Value, Is.False);
        Assert.That(client.GetBoolDetails("lobby").Reason, Is.EqualTo(EvaluationReason.Default));
        Assert.That(client.Snapshot.Revision, Is.EqualTo(2));
    }

    [Test]
    public async Task KillTag_Revive_ServesTargetingAgain()
    {
        var source = new InMemoryFlagSource(Wallet());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        source.KillTag("wallet");

        var revived = source.KillTag("wallet", killed: false);

        Assert.That(revived, Has.Count.EqualTo(2));
        Assert.That(client.IsEnabled("wallet-a"), Is.True);
    }

    [Test]
    public async Task SetFlag_Invalid_ThrowsAndChangesNothing()
    {
        var source = new InMemoryFlagSource(Wallet());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var bad = TestDocuments.Flag(TestDocuments.BoolFlag("lobby", defaultVariant: "maybe"));

        var ex = Assert.Throws<FlagValidationException>(() => source.SetFlag(bad));

        Assert.That(ex!.Errors.Single().ToString(), Does.StartWith("flag 'lobby' at $.defaultRule.variant: unknown variant 'maybe'"));
        Assert.That(client.Snapshot.Revision, Is.EqualTo(1));
        Assert.That(source.Snapshot.Revision, Is.EqualTo(1));
        Assert.That(client.GetBoolDetails("lobby").Reason, Is.EqualTo(EvaluationReason.Default));
    }

    [Test]
    public void RemoveSegment_StillUsed_ThrowsAndKeepsIt()
    {
        var source = new InMemoryFlagSource(TestDocuments.File(TestDocuments.FileJson(
            TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "off" } ] """),
            """{ "key": "vip" }""")));

        Assert.Throws<FlagValidationException>(() => source.RemoveSegment("vip"));
        Assert.That(source.Snapshot.SegmentCount, Is.EqualTo(1));
    }

    [Test]
    public void SetFlag_DocumentEditedAfterwards_SnapshotUnchanged()
    {
        var source = new InMemoryFlagSource();
        var flag = TestDocuments.Flag(TestDocuments.BoolFlag("f"));
        source.SetFlag(flag);

        flag.DefaultRule.Variant = "off";

        Assert.That(source.Snapshot.Evaluate("f", null).Variant!.Name, Is.EqualTo("on"));
        Assert.That(source.Snapshot.ToFile().Flags.Single().DefaultRule.Variant, Is.EqualTo("on"));
    }

    [Test]
    public void RemoveFlag_Existing_RemovedInNewRevision()
    {
        var source = new InMemoryFlagSource(Wallet());

        Assert.That(source.RemoveFlag("lobby"), Is.True);
        Assert.That(source.RemoveFlag("lobby"), Is.False);
        Assert.That(source.Snapshot.ContainsFlag("lobby"), Is.False);
    }

    [Test]
    public void SetKilled_UnknownFlag_Throws()
    {
        var source = new InMemoryFlagSource();

        Assert.Throws<KeyNotFoundException>(() => source.SetKilled("nope"));
    }

    [Test]
    public async Task ReportStatus_Stale_ClientReportsIt()
    {
        var source = new InMemoryFlagSource(Wallet());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        string? detail = null;
        client.StatusChanged += (_, e) => detail = e.Detail;

        source.ReportStatus(FlagClientStatus.Stale, "connection lost");

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Stale));
        Assert.That(() => detail, Is.EqualTo("connection lost").After(5000, 10), "raised on the client's own task");
        Assert.That(client.IsEnabled("lobby"), Is.True);
    }
}
