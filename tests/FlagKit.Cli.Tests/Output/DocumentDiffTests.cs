using System.Text;
using FlagKit.Cli.Output;

namespace FlagKit.Cli.Tests.Output;

[TestFixture]
public sealed class DocumentDiffTests
{
    private static List<FieldChange> Compare(string before, string after) =>
        DocumentDiff.Compare(Encoding.UTF8.GetBytes(before), Encoding.UTF8.GetBytes(after));

    private static IEnumerable<string> Lines(List<FieldChange> changes) =>
        changes.Select(c => $"{c.Path}: {DocumentDiff.Render(c.Before)} -> {DocumentDiff.Render(c.After)}");

    [TestCase("""{"on":false}""", """{"on":true}""", "$.on: false -> true")]
    [TestCase("""{"tags":["a"]}""", """{"tags":["a","b"]}""", """$.tags: ["a"] -> ["a","b"]""")]
    [TestCase("""{"d":{"split":{"variants":[{"variant":"on","weight":5},{"variant":"off","weight":95}]}}}""",
              """{"d":{"split":{"variants":[{"variant":"on","weight":25},{"variant":"off","weight":75}]}}}""",
              "$.d.split.variants[0].weight: 5 -> 25|$.d.split.variants[1].weight: 95 -> 75")]
    [TestCase("""{"rules":[]}""", """{"rules":[{"id":"r1"}]}""", """$.rules[0]: (none) -> {"id":"r1"}""")]
    [TestCase("""{"description":"x"}""", """{}""", """$.description: "x" -> (none)""")]
    [TestCase("""{"description":null}""", """{"description":"y"}""", """$.description: (none) -> "y" """)]
    public void Compare_ChangedLeaves_ListsEachWithPathBeforeAndAfter(string before, string after, string expected)
    {
        Assert.That(Lines(Compare(before, after)), Is.EqualTo(expected.Split('|').Select(e => e.TrimEnd())));
    }

    [Test]
    public void Compare_OnlyVersionDiffers_ReportsNothing()
    {
        Assert.That(Compare("""{"key":"a","version":3}""", """{"key":"a","version":4}"""), Is.Empty);
    }

    [Test]
    public void Compare_DocumentAbsentOnOneSide_ReportsNothing()
    {
        Assert.That(DocumentDiff.Compare(ReadOnlyMemory<byte>.Empty, Encoding.UTF8.GetBytes("""{"on":true}""")), Is.Empty);
    }

    [Test]
    public void Render_NonAsciiString_KeepsItReadable()
    {
        var change = Compare("""{"d":"a"}""", """{"d":"é → ü"}""").Single();
        Assert.That(DocumentDiff.Render(change.After), Is.EqualTo("\"é → ü\""));
    }
}
