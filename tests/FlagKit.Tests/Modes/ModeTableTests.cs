using static FlagKit.Tests.Modes.ModeTestDocuments;

namespace FlagKit.Tests.Modes;

public sealed class ModeTableTests
{
    private static readonly EvaluationContext Eu = new() { Region = "eu", Game = "x" };
    private static readonly EvaluationContext Us = new() { Region = "us", Game = "x" };

    [Test]
    public void Evaluate_SwitchForARegion_AppliesOnlyThere()
    {
        var table = Compile("""{"schema":1,"switches":[{"id":"s","mode":"read-only","scope":{"region":["eu","uk"]}}]}""");

        Assert.That(table.Evaluate(Eu, T0).Mode, Is.EqualTo(OperatingMode.ReadOnly));
        Assert.That(table.Evaluate(Us, T0).Mode, Is.EqualTo(OperatingMode.Normal));
        Assert.That(table.Evaluate(null, T0).Mode, Is.EqualTo(OperatingMode.Normal));
        Assert.That(table.Evaluate(Eu, T0).Until, Is.Null);
    }

    [Test]
    public void Evaluate_ScopeOfTwoAttributes_NeedsBoth()
    {
        var table = Compile("""{"schema":1,"switches":[{"id":"s","mode":"read-only","scope":{"region":["eu"],"game":["y"]}}]}""");

        Assert.That(table.IsReadOnly(Eu, T0), Is.False);
        Assert.That(table.IsReadOnly(new EvaluationContext { Region = "eu", Game = "y" }, T0), Is.True);
    }

    [Test]
    public void Evaluate_CustomAttributeScope_Matches()
    {
        var table = Compile("""{"schema":1,"switches":[{"id":"s","mode":"read-only","scope":{"tenant":["t1"]}}]}""");

        Assert.That(table.IsReadOnly(new EvaluationContext().WithAttribute("tenant", "t1"), T0), Is.True);
        Assert.That(table.IsReadOnly(new EvaluationContext().WithAttribute("tenant", "t2"), T0), Is.False);
    }

    [Test]
    public void Evaluate_SwitchWithUntil_EndsAtItsTime()
    {
        var until = T0.AddMinutes(30);
        var table = Compile($$"""{"schema":1,"switches":[{"id":"s","mode":"read-only","until":"{{Time(until)}}"}]}""");

        Assert.That(table.Evaluate(null, T0), Is.EqualTo(new ModeStatus(OperatingMode.ReadOnly, until, null)));
        Assert.That(table.IsReadOnly(null, until.AddTicks(-1)), Is.True);
        Assert.That(table.IsReadOnly(null, until), Is.False);
    }

    [Test]
    public void Evaluate_WindowAndSwitch_MaintenanceWinsAndHoldsUntilTheLaterEnd()
    {
        var json = $$"""
            {"schema":1,
             "switches":[{"id":"s","mode":"read-only","until":"{{Time(T0.AddHours(2))}}"}],
             "windows":[{"id":"mw-1","start":"{{Time(T0.AddMinutes(-5))}}","end":"{{Time(T0.AddHours(1))}}","message":"db upgrade"}]}
            """;
        var table = Compile(json);

        var status = table.Evaluate(Eu, T0);

        Assert.That(status.Mode, Is.EqualTo(OperatingMode.Maintenance));
        Assert.That(status.Message, Is.EqualTo("db upgrade"));
        Assert.That(status.Until, Is.EqualTo(T0.AddHours(2)));
        Assert.That(table.Evaluate(Eu, T0.AddHours(1)).Mode, Is.EqualTo(OperatingMode.ReadOnly));
    }

    [Test]
    public void NextWindow_AnnouncedAhead_GivesStartEndMessage()
    {
        var json = $$$"""
            {"schema":1,"windows":[
              {"id":"late","start":"{{{Time(T0.AddHours(5))}}}","end":"{{{Time(T0.AddHours(6))}}}","message":"later"},
              {"id":"soon","start":"{{{Time(T0.AddMinutes(10))}}}","end":"{{{Time(T0.AddMinutes(40))}}}","message":"maintenance in 10 minutes"},
              {"id":"past","start":"{{{Time(T0.AddHours(-2))}}}","end":"{{{Time(T0.AddHours(-1))}}}"},
              {"id":"us","start":"{{{Time(T0.AddMinutes(1))}}}","end":"{{{Time(T0.AddMinutes(2))}}}","scope":{"region":["us"]}}]}
            """;
        var table = Compile(json);

        var next = table.NextWindow(Eu, T0);

        Assert.That(next, Is.Not.Null);
        Assert.That((next!.Id, next.Start, next.End, next.Message), Is.EqualTo(("soon", T0.AddMinutes(10), T0.AddMinutes(40), "maintenance in 10 minutes")));
        Assert.That(table.IsReadOnly(Eu, T0), Is.False, "announced, not yet in force");
        Assert.That(table.NextWindow(Us, T0)!.Id, Is.EqualTo("us"));
        Assert.That(table.NextBoundary(T0), Is.EqualTo(T0.AddMinutes(1)));
    }
}
