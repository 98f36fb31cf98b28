using FlagKit.Server.Hosting;

namespace FlagKit.Server.Tests.Hosting;

public sealed class UntrustedTextTests
{
    [TestCase("pod-7", "pod-7")]
    [TestCase("a\nb\r\tc", @"a\nb\r\tc")]
    [TestCase("back\\slash", @"back\\slash")]
    [TestCase("esc\u001b[31m", @"esc\u001b[31m")]
    [TestCase("rtl\u202eevil", @"rtl\u202eevil")]
    [TestCase("line\u2028sep", @"line\u2028sep")]
    [TestCase("pair\ud83c\udfb0", "pair\ud83c\udfb0")]
    [TestCase(null, "")]
    public void ForLog_ClientText_EscapedOnOneLine(string? text, string expected) =>
        Assert.That(UntrustedText.ForLog(text), Is.EqualTo(expected));

    [Test]
    public void ForLog_LoneSurrogate_Escaped()
    {
        var text = "lone" + (char)0xD800 + "high, then low" + (char)0xDC00;

        Assert.That(UntrustedText.ForLog(text), Is.EqualTo(@"lone\ud800high, then low\udc00"));
    }

    [Test]
    public void ForLog_LongText_CutSayingHowMuch()
    {
        var logged = UntrustedText.ForLog(new string('x', 6 * 1024 * 1024));

        Assert.That(logged, Is.EqualTo(new string('x', UntrustedText.MaxLogChars) + "…(+6291200 chars)"));
    }

    [Test]
    public void ForLog_CutInsideASurrogatePair_KeepsThePairWhole()
    {
        var text = new string('x', UntrustedText.MaxLogChars - 1) + "\ud83c\udfb0" + "tail";

        Assert.That(UntrustedText.ForLog(text), Does.StartWith(new string('x', UntrustedText.MaxLogChars - 1) + "…"));
    }
}
