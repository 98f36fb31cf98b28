using FlagKit.Documents;

namespace FlagKit.Tests;

public sealed class TestFlagsTests
{
    [Test]
    public async Task Set_EachKind_ClientServesTheValue()
    {
        await using var flags = new TestFlags()
            .Set("new-bonus-engine", true)
            .Set("theme", "dark")
            .Set("max-bet", 50.0)
            .SetJson("limits", """{ "daily": 100 }""");

        Assert.That(flags.Client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(flags.Client.IsEnabled("new-bonus-engine"), Is.True);
        Assert.That(flags.Client.GetString("theme"), Is.EqualTo("dark"));
        Assert.That(flags.Client.GetNumber("max-bet"), Is.EqualTo(50));
        Assert.That(flags.Client.GetJson("limits").GetProperty("daily").GetInt32(), Is.EqualTo(100));
    }

    [Test]
    public async Task Set_Again_NextEvaluationSeesTheNewValue()
    {
        await using var flags = new TestFlags().Set("new-bonus-engine", true);

        flags.Set("new-bonus-engine", false);

        Assert.That(flags.Client.GetBoolDetails("new-bonus-engine", defaultValue: true).Value, Is.False);
    }

    [Test]
    public async Task Kill_BoolFlag_ServesFalseWithReasonKilled()
    {
        await using var flags = new TestFlags().Set("new-bonus-engine", true);

        flags.Kill("new-bonus-engine");
        var killed = flags.Client.GetBoolDetails("new-bonus-engine");
        flags.Revive("new-bonus-engine");

        Assert.That((killed.Value, killed.Reason), Is.EqualTo((false, EvaluationReason.Killed)));
        Assert.That(flags.Client.IsEnabled("new-bonus-engine"), Is.True);
    }

    [Test]
    public async Task KillTag_TaggedFlags_AllServeOff()
    {
        await using var flags = new TestFlags().Set("deposit", true).Set("withdraw", true).Set("lobby", true).Tag("deposit", "wallet").Tag("withdraw", "wallet");

        flags.KillTag("wallet");

        Assert.That(flags.Client.IsEnabled("deposit"), Is.False);
        Assert.That(flags.Client.IsEnabled("withdraw"), Is.False);
        Assert.That(flags.Client.IsEnabled("lobby"), Is.True);
    }

    [Test]
    public async Task Set_KeepsTagsOfTheFlagItReplaces()
    {
        await using var flags = new TestFlags().Set("deposit", true).Tag("deposit", "wallet");

        flags.Set("deposit", true).KillTag("wallet");

        Assert.That(flags.Client.IsEnabled("deposit"), Is.False);
    }

    [Test]
    public async Task Remove_Flag_ServesCallerDefault()
    {
        await using var flags = new TestFlags().Set("theme", "dark");

        flags.Remove("theme");

        Assert.That(flags.Client.GetStringDetails("theme", defaultValue: "light").Reason, Is.EqualTo(EvaluationReason.FlagNotFound));
    }

    [Test]
    public async Task Set_FullDocument_RulesApply()
    {
        await using var flags = new TestFlags().Set(TestDocuments.Flag(TestDocuments.BoolFlag("eu-only", """
            "rules": [ { "conditions": [ { "attribute": "region", "op": "in", "values": ["eu"] } ], "variant": "on" } ]
            """, defaultVariant: "off")));

        Assert.That(flags.Client.IsEnabled("eu-only", new EvaluationContext { Region = "eu" }), Is.True);
        Assert.That(flags.Client.IsEnabled("eu-only", new EvaluationContext { Region = "us" }), Is.False);
    }

    [Test]
    public async Task Set_InvalidDocument_ThrowsAndKeepsThePreviousFlag()
    {
        await using var flags = new TestFlags().Set("f", true);

        Assert.Throws<FlagValidationException>(() => flags.Set(new FlagDocument { Key = "f", Variants = [], OffVariant = "off" }));
        Assert.That(flags.Client.IsEnabled("f"), Is.True);
    }

    [Test]
    public void Dispose_Sync_DisposesTheClient()
    {
        var flags = new TestFlags().Set("f", true);

        flags.Dispose();

        Assert.Throws<ObjectDisposedException>(() => flags.Client.StartAsync());
    }
}
