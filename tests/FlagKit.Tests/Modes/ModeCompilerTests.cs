using FlagKit.Modes;
using static FlagKit.Tests.Modes.ModeTestDocuments;

namespace FlagKit.Tests.Modes;

public sealed class ModeCompilerTests
{
    [Test]
    public void Compile_EmptyBytes_IsNormalForEveryone()
    {
        var table = ModeCompiler.Compile([], 0);

        Assert.That(table.Count, Is.Zero);
        Assert.That(table.Evaluate(null, T0).Mode, Is.EqualTo(OperatingMode.Normal));
    }

    [Test]
    public void Compile_UnknownMode_NamesThePath()
    {
        var ex = Assert.Throws<FlagValidationException>(() => Compile("""{"schema":1,"switches":[{"id":"a","mode":"read-only"},{"id":"b","mode":"closed"}]}"""));

        Assert.That(ex!.Errors, Has.Count.EqualTo(1));
        Assert.That(ex.Errors[0].ToString(), Is.EqualTo("modes at $.switches[1].mode: unknown mode 'closed'; expected 'read-only' or 'maintenance'"));
    }

    [Test]
    public void Compile_WindowEndingBeforeItStarts_IsRefused()
    {
        var json = $$"""{"schema":1,"windows":[{"id":"mw-1","start":"{{Time(T0)}}","end":"{{Time(T0.AddHours(-1))}}"}]}""";

        var ex = Assert.Throws<FlagValidationException>(() => Compile(json));

        Assert.That(ex!.Errors[0].Path, Is.EqualTo("$.windows[0].end"));
        Assert.That(ex.Errors[0].Message, Does.Contain("before it starts"));
    }

    [Test]
    public void Compile_BadJson_NamesPathAndLine()
    {
        var ex = Assert.Throws<FlagValidationException>(() => Compile("""{"schema":1,"switches":[{"id":"a","until":"soon"}]}"""));

        Assert.That(ex!.Errors[0].Document, Is.EqualTo("modes"));
        Assert.That(ex.Errors[0].Path, Is.EqualTo("$.switches[0].until"));
        Assert.That(ex.Errors[0].Message, Does.StartWith("invalid JSON (line 1"));
    }

    [Test]
    public void Compile_TooManySwitches_IsRefusedBeforeAnyIsLookedAt()
    {
        var switches = string.Join(",", Enumerable.Range(0, ModeCompiler.MaxSwitches + 1).Select(_ => """{"mode":"nonsense"}"""));

        var ex = Assert.Throws<FlagValidationException>(() => Compile($$"""{"schema":1,"switches":[{{switches}}]}"""));

        Assert.That(ex!.Errors, Has.Count.EqualTo(1));
        Assert.That(ex.Errors[0].Message, Is.EqualTo("65 switches; the limit is 64"));
    }

    [Test]
    public void Compile_SameIdTwice_IsRefused()
    {
        var ex = Assert.Throws<FlagValidationException>(() => Compile("""{"schema":1,"switches":[{"id":"a","mode":"read-only"},{"id":"a","mode":"maintenance"}]}"""));

        Assert.That(ex!.Errors[0].ToString(), Is.EqualTo("modes at $.switches[1].id: id 'a' is used twice"));
    }

    [Test]
    public void Compile_NewerSchema_IsRefusedNamingBoth()
    {
        var ex = Assert.Throws<FlagValidationException>(() => Compile("""{"schema":2}"""));

        Assert.That(ex!.Errors[0].Message, Is.EqualTo("unsupported mode schema 2; this SDK reads schema 1"));
    }

    [Test]
    public void Compile_EmptyScopeValues_IsRefused()
    {
        var ex = Assert.Throws<FlagValidationException>(() => Compile("""{"schema":1,"switches":[{"id":"a","mode":"read-only","scope":{"region":[]}}]}"""));

        Assert.That(ex!.Errors[0].Path, Is.EqualTo("$.switches[0].scope.region"));
    }
}
