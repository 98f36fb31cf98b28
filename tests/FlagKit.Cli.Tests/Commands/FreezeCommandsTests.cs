using System.Globalization;
using FlagKit.Cli.Tests.Infrastructure;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>Freezes from the CLI: add (one-off, weekly), list, writes refused during one, break-glass with --override --reason.</summary>
[TestFixture]
public sealed class FreezeCommandsTests
{
    [Test]
    public async Task FreezeAddWeekly_ListedWithZoneAndNextOccurrence()
    {
        var env = await TestEnvironment.CreateAsync();

        var added = await env.RunAsync("freeze", "add", "euro-final", "--days", "sat", "--from", "18:00", "--to", "23:00", "--tz", "Europe/Rome", "-m", "final");
        var list = await env.RunAsync("freeze", "list", "--json");

        Assert.That(added.ExitCode, Is.EqualTo(0), added.ToString);
        Assert.That(added.Stdout, Does.Contain($"added freeze 'euro-final' of '{env.Name}': every sat 18:00-23:00 Europe/Rome"));
        var freeze = list.Json().GetProperty("freezes")[0];
        Assert.That(freeze.GetProperty("timeZone").GetString(), Is.EqualTo("Europe/Rome"));
        Assert.That(freeze.GetProperty("nextStart").GetDateTimeOffset().DayOfWeek, Is.AnyOf(DayOfWeek.Saturday), "18:00 in Rome is on Saturday in UTC too");
    }

    [Test]
    public async Task FreezeInForce_RolloutRefusedKillNeedsOverrideAndReason()
    {
        var env = await TestEnvironment.CreateAsync();
        await env.RunAsync("freeze", "add", "launch", "--start", Iso(DateTimeOffset.UtcNow.AddMinutes(-1)), "--end", Iso(DateTimeOffset.UtcNow.AddHours(1)));

        var rollout = await env.RunAsync("rollout", "checkout-v2", "25");
        var plainKill = await env.RunAsync("kill", "wallet-a");
        var noReason = await env.RunAsync("kill", "wallet-a", "--override");
        var kill = await env.RunAsync("kill", "wallet-a", "--override", "--reason", "payments down", "-m", "INC-7");
        var remove = await env.RunAsync("freeze", "remove", "launch", "--yes");
        var removeOverride = await env.RunAsync("freeze", "remove", "launch", "--yes", "--override", "--reason", "launch moved");

        Assert.That(rollout.ExitCode, Is.EqualTo(ExitCodes.Conflict), rollout.ToString);
        Assert.That(rollout.Stderr, Does.Contain($"environment '{env.Name}' is frozen by 'launch' until "));
        Assert.That(rollout.Stderr, Does.Not.Contain("someone changed"));
        Assert.That(plainKill.ExitCode, Is.EqualTo(ExitCodes.Conflict), plainKill.ToString);
        Assert.That(noReason.ExitCode, Is.EqualTo(ExitCodes.Usage), noReason.ToString);
        Assert.That(kill.ExitCode, Is.EqualTo(0), kill.ToString);
        Assert.That((await env.FlagAsync("wallet-a")).GetProperty("killed").GetBoolean(), Is.True);
        Assert.That(remove.ExitCode, Is.EqualTo(ExitCodes.Conflict), remove.ToString);
        Assert.That(removeOverride.ExitCode, Is.EqualTo(0), removeOverride.ToString);
        var audit = await env.RunAsync("audit", "--json");
        var details = audit.Json().GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("detail").GetString()).ToList();
        Assert.That(details, Has.Some.StartsWith("[break-glass: freeze 'launch' overridden: payments down] INC-7"), audit.ToString);
        Assert.That(details, Has.Some.Contains("removed: launch moved"), audit.ToString);
        Assert.That((await env.RunAsync("rollout", "checkout-v2", "25")).ExitCode, Is.EqualTo(0), "the freeze is gone");
    }

    private static string Iso(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
