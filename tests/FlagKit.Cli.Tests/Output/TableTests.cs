using FlagKit.Cli.Output;

namespace FlagKit.Cli.Tests.Output;

[TestFixture]
public sealed class TableTests
{
    [Test]
    public void WriteTo_Rows_AlignsColumnsRightAlignsNumbersAndLeavesNoTrailingSpace()
    {
        var table = new Table("flag", "version>", "tags");
        table.Add("checkout-v2", "12", "wallet");
        table.Add("x", "3", "");
        using var writer = new StringWriter();

        table.WriteTo(writer);

        Assert.That(writer.ToString().ReplaceLineEndings("\n"), Is.EqualTo(
            "FLAG         VERSION  TAGS\n" +
            "checkout-v2       12  wallet\n" +
            "x                  3\n"));
    }

    [Test]
    public void Add_TooManyCells_Throws()
    {
        var table = new Table("a");
        Assert.That(() => table.Add("1", "2"), Throws.ArgumentException);
    }
}
