using FlagKit.Compilation;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Tests.Writes;

public sealed class ChangeSummaryTests
{
    private static IEnumerable<TestCaseData> FlagChanges()
    {
        yield return new TestCaseData(Docs.BoolFlag("f", on: false), Docs.BoolFlag("f", on: true), "on: false → true").SetName("Updated_On_NamesTheSwitch");
        yield return new TestCaseData(Docs.BoolFlag("f"), Docs.BoolFlag("f", killed: true), "killed: false → true").SetName("Updated_Killed_NamesTheKill");
        yield return new TestCaseData(Docs.SplitFlag("f", 5), Docs.SplitFlag("f", 25), "split default: on 5% → 25%").SetName("Updated_TwoVariantSplit_NamesFirstVariant");
        yield return new TestCaseData(Docs.SplitFlag("f", 0.5), Docs.SplitFlag("f", 12.25), "split default: on 0.5% → 12.25%").SetName("Updated_FractionalWeights_KeepsHundredths");
        yield return new TestCaseData(Docs.BoolFlag("f", defaultVariant: "off"), Docs.BoolFlag("f", defaultVariant: "on"), "default: off → on").SetName("Updated_DefaultVariant_NamesBoth");
        yield return new TestCaseData(Docs.BoolFlag("f", tags: ["a"]), Docs.BoolFlag("f", tags: ["a", "b"]), "tags: [a] → [a, b]").SetName("Updated_Tags_ListsBoth");
        yield return new TestCaseData(Docs.BoolFlag("f", on: false, killed: false), Docs.BoolFlag("f", on: true, killed: true), "killed: false → true; on: false → true").SetName("Updated_Several_KillFirst");
        yield return new TestCaseData(Docs.BoolFlag("f"), Docs.BoolFlag("f"), "updated (formatting only)").SetName("Updated_Nothing_SaysFormattingOnly");
    }

    [TestCaseSource(nameof(FlagChanges))]
    public void Updated_FlagChange_ReadsAsOneLine(string before, string after, string expected)
    {
        var summary = ChangeSummary.Updated(FlagJson.ParseFlag(System.Text.Encoding.UTF8.GetBytes(before)), FlagJson.ParseFlag(System.Text.Encoding.UTF8.GetBytes(after)));

        Assert.That(summary, Is.EqualTo(expected));
    }

    [Test]
    public void Created_Flag_NamesKindStateAndDefault()
    {
        var summary = ChangeSummary.Created(FlagJson.ParseFlag(System.Text.Encoding.UTF8.GetBytes(Docs.SplitFlag("f", 5))));

        Assert.That(summary, Is.EqualTo("created bool flag: on: true, default: split on 5%, off 95%"));
    }

    [Test]
    public void Updated_SegmentIncludes_CountsAddedAndRemoved()
    {
        var summary = ChangeSummary.Updated(
            FlagJson.ParseSegment(System.Text.Encoding.UTF8.GetBytes(Docs.Segment("s", "a", "b"))),
            FlagJson.ParseSegment(System.Text.Encoding.UTF8.GetBytes(Docs.Segment("s", "b", "c", "d"))));

        Assert.That(summary, Is.EqualTo("included: +2 −1"));
    }
}
