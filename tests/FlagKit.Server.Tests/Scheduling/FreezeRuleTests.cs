using FlagKit.Server.Scheduling;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Tests.Scheduling;

/// <summary>
/// Freeze windows answer "frozen at t?" for one-off and weekly windows in a named zone, across the 2026 daylight saving
/// changes of Europe/Rome (spring forward 29 March 02:00 → 03:00, fall back 25 October 03:00 → 02:00).
/// </summary>
public sealed class FreezeRuleTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public void ActiveAt_SaturdayEveningInRome_EndsAt2300LocalWithOffset()
    {
        var rule = Weekly("euro-final", "sat", "18:00", "23:00");

        var active = rule.ActiveAt(Utc(2026, 12, 5, 17, 30));

        Assert.That(active, Is.Not.Null);
        Assert.That(active!.Start, Is.EqualTo(Utc(2026, 12, 5, 17, 0)));
        Assert.That(active.Format(active.End), Is.EqualTo("2026-12-05T23:00:00+01:00"));
        Assert.That(rule.ActiveAt(Utc(2026, 12, 5, 16, 59)), Is.Null, "17:59 local");
        Assert.That(rule.ActiveAt(Utc(2026, 12, 5, 22, 0)), Is.Null, "the end is exclusive");
        Assert.That(rule.ActiveAt(Utc(2026, 12, 6, 17, 30)), Is.Null, "Sunday");
    }

    [Test]
    public void ActiveAt_StartInsideSpringForwardGap_StartsWhenTheClocksJump()
    {
        var rule = Weekly("night", "sun", "02:30", "04:00");

        Assert.That(rule.ActiveAt(Utc(2026, 3, 29, 0, 59)), Is.Null, "01:59 CET, before the jump");
        var active = rule.ActiveAt(Utc(2026, 3, 29, 1, 0));

        Assert.That(active, Is.Not.Null, "03:00 CEST: 02:30 does not exist that night");
        Assert.That(active!.Start, Is.EqualTo(Utc(2026, 3, 29, 1, 0)));
        Assert.That(active.End, Is.EqualTo(Utc(2026, 3, 29, 2, 0)));
        Assert.That(active.Format(active.End), Is.EqualTo("2026-03-29T04:00:00+02:00"));
    }

    [Test]
    public void NextAfter_WindowWhollyInsideSpringForwardGap_SkipsThatNight()
    {
        var rule = Weekly("gap", "sun", "02:10", "02:50");

        var next = rule.NextAfter(Utc(2026, 3, 28, 12, 0));

        Assert.That(next!.Start, Is.EqualTo(Utc(2026, 4, 5, 0, 10)), "the next Sunday, 02:10 CEST");
        Assert.That(rule.ActiveAt(Utc(2026, 3, 29, 1, 0)), Is.Null);
    }

    [Test]
    public void ActiveAt_TimesRepeatedAtFallBack_StartsAtFirstAndEndsAtSecondOccurrence()
    {
        var rule = Weekly("repeat", "sun", "02:30", "02:45");

        var active = rule.ActiveAt(Utc(2026, 10, 25, 0, 30));

        Assert.That(active, Is.Not.Null, "02:30 CEST, the first 02:30");
        Assert.That(active!.Start, Is.EqualTo(Utc(2026, 10, 25, 0, 30)));
        Assert.That(active.End, Is.EqualTo(Utc(2026, 10, 25, 1, 45)), "02:45 CET, the second 02:45");
        Assert.That(rule.ActiveAt(Utc(2026, 10, 25, 1, 40)), Is.Not.Null, "02:40 CET, inside the repeated hour");
        Assert.That(active.Format(active.End), Is.EqualTo("2026-10-25T02:45:00+01:00"));
    }

    [Test]
    public void ActiveAt_WindowAcrossFallBackNight_LastsItsWallClockLengthPlusTheRepeatedHour()
    {
        var rule = Weekly("weekend", "sat", "22:00", "06:00");

        var active = rule.ActiveAt(Utc(2026, 10, 25, 3, 0));

        Assert.That(active!.Start, Is.EqualTo(Utc(2026, 10, 24, 20, 0)), "22:00 CEST on Saturday");
        Assert.That(active.End, Is.EqualTo(Utc(2026, 10, 25, 5, 0)), "06:00 CET on Sunday: nine hours");
    }

    [Test]
    public void ActiveAt_EndBeforeStart_EndsTheNextDay()
    {
        var rule = Weekly("late", "fri", "22:00", "02:00");

        Assert.That(rule.ActiveAt(Utc(2026, 12, 5, 0, 30)), Is.Not.Null, "Saturday 01:30 local belongs to Friday's window");
        Assert.That(rule.ActiveAt(Utc(2026, 12, 5, 1, 0)), Is.Null, "02:00 local: ended");
    }

    [Test]
    public void ActiveAt_OneOff_IsFrozenFromStartToEnd()
    {
        var rule = FreezeRule.Parse(new FreezeRecord("prod", "launch", Utc(2026, 12, 5, 18, 0), Utc(2026, 12, 5, 22, 0), "", "", "", "", "", "t", Created));

        Assert.That(rule.ActiveAt(Utc(2026, 12, 5, 17, 59)), Is.Null);
        Assert.That(rule.ActiveAt(Utc(2026, 12, 5, 18, 0))!.Format(Utc(2026, 12, 5, 22, 0)), Is.EqualTo("2026-12-05T22:00:00+00:00"));
        Assert.That(rule.NextAfter(Utc(2026, 12, 5, 18, 0)), Is.Null, "a one-off window has no later occurrence");
    }

    [TestCase("sat,funday", "18:00", "23:00", "Europe/Rome", "FreezeWindow.days[1] 'funday' is not a day of the week")]
    [TestCase("sat", "18:00", "18:00", "Europe/Rome", "FreezeWindow.local_end equals local_start")]
    [TestCase("sat", "25:00", "23:00", "Europe/Rome", "FreezeWindow.local_start '25:00' is not a local time")]
    [TestCase("sat", "18:00", "23:00", "Europe/Atlantis", "FreezeWindow.time_zone 'Europe/Atlantis' is not a known IANA time zone")]
    public void Parse_BadRecurringWindow_RefusedNamingTheField(string days, string start, string end, string zone, string message)
    {
        var record = new FreezeRecord("prod", "w", null, null, days, start, end, zone, "", "t", Created);

        Assert.That(() => FreezeRule.Parse(record), Throws.TypeOf<WriteRefusedException>().With.Message.Contains(message));
    }

    [Test]
    public void Parse_DaysInAnyCaseOrInFull_AreStoredNormalized()
    {
        var rule = Weekly("w", "Sunday, SAT ,mon", "9:00", "10:00");

        Assert.That((rule.Record.Days, rule.Record.LocalStart), Is.EqualTo(("sun,mon,sat", "09:00")));
    }

    private static FreezeRule Weekly(string name, string days, string start, string end) =>
        FreezeRule.Parse(new FreezeRecord("prod", name, null, null, days, start, end, "Europe/Rome", "", "t", Created));

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi) => new(y, mo, d, h, mi, 0, TimeSpan.Zero);
}
