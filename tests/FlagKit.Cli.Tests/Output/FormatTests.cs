using FlagKit.Cli.Output;

namespace FlagKit.Cli.Tests.Output;

[TestFixture]
public sealed class FormatTests
{
    [TestCase("30s", 30_000)]
    [TestCase("2m", 120_000)]
    [TestCase("500ms", 500)]
    [TestCase("1h", 3_600_000)]
    [TestCase("1.5", 1_500)]
    public void TryParseDuration_ValidText_ReturnsDuration(string text, int milliseconds)
    {
        Assert.That(Format.TryParseDuration(text, out var duration), Is.True);
        Assert.That(duration, Is.EqualTo(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [TestCase("")]
    [TestCase("abc")]
    [TestCase("-5s")]
    [TestCase("0")]
    [TestCase("3x")]
    [TestCase("2d")]
    public void TryParseDuration_InvalidText_ReturnsFalse(string text)
    {
        Assert.That(Format.TryParseDuration(text, out _), Is.False);
    }

    [TestCase(25.0, "25%")]
    [TestCase(12.5, "12.5%")]
    [TestCase(0.01, "0.01%")]
    public void Percent_Value_PrintsShortestForm(double value, string expected)
    {
        Assert.That(Format.Percent(value), Is.EqualTo(expected));
    }

    [Test]
    public void Age_Instants_PrintsLargestUnit()
    {
        var now = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        Assert.That(
            new[] { now.AddSeconds(-4), now.AddMinutes(-12), now.AddHours(-3), now.AddDays(-5) }.Select(i => Format.Age(i, now)),
            Is.EqualTo(new[] { "4s ago", "12m ago", "3h ago", "5d ago" }));
    }
}
