using FlagKit.Cli.Tests.Infrastructure;

namespace FlagKit.Cli.Tests.Commands;

/// <summary><c>readonly on|off</c>, <c>maintenance schedule|list|cancel</c> and the modes in <c>status</c>: the real CLI against the real server and SDK.</summary>
[TestFixture]
public sealed class ModeCommandsTests
{
    private static readonly EvaluationContext Eu = new() { Region = "eu" };

    [Test]
    public async Task ReadOnlyOn_ScopeAndUntil_ReachesAConnectedSdkAndShowsInJson()
    {
        var env = await TestEnvironment.CreateAsync();
        await using var sdk = await ConnectedSdk.ConnectAsync(env, await env.CreateSdkKeyAsync(), "api");
        var before = DateTimeOffset.UtcNow;

        var result = await env.RunAsync("readonly", "on", "--scope", "region=eu|uk", "--until", "30m", "-m", "INC-7 db failover", "--yes", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString);
        var json = result.Json();
        Assert.That((json.GetProperty("changed").GetBoolean(), json.GetProperty("version").GetInt64()), Is.EqualTo((true, 1L)));
        var entry = json.GetProperty("modes").GetProperty("switches")[0];
        Assert.That((entry.GetProperty("mode").GetString(), entry.GetProperty("scope").GetString(), entry.GetProperty("reason").GetString()),
            Is.EqualTo(("read-only", "region=eu|uk", "INC-7 db failover")));
        Assert.That(entry.GetProperty("until").GetDateTimeOffset(), Is.EqualTo(before.AddMinutes(30)).Within(TimeSpan.FromSeconds(30)));
        Assert.That(json.GetProperty("modes").GetProperty("mode").GetString(), Is.EqualTo("normal"), "for everyone: the switch is scoped");
        await WaitAsync(() => sdk.Client.IsReadOnly(Eu), "the SDK to see read-only for eu");
        Assert.That(sdk.Client.IsReadOnly(new EvaluationContext { Region = "us" }), Is.False);
    }

    [Test]
    public async Task ReadOnlyOn_NotATerminalWithoutYes_RefusesWithUsageAndChangesNothing()
    {
        var env = await TestEnvironment.CreateAsync();

        var result = await env.RunAsync("readonly", "on");
        var list = await env.RunAsync("maintenance", "list", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString);
        Assert.That(result.Stderr, Does.Contain("add --yes"));
        Assert.That(list.Json().GetProperty("version").GetInt64(), Is.Zero);
    }

    [Test]
    public async Task ReadOnlyOn_BadScopeOrUntil_Exit2NamingTheOption()
    {
        var env = await TestEnvironment.CreateAsync();

        var scope = await env.RunAsync("readonly", "on", "--scope", "region", "--yes");
        var until = await env.RunAsync("readonly", "on", "--until", "soonish", "--yes");

        Assert.That((scope.ExitCode, until.ExitCode), Is.EqualTo((2, 2)), scope + "\n" + until);
        Assert.That(scope.Stderr, Does.Contain("--scope 'region'"));
        Assert.That(until.Stderr, Does.Contain("--until 'soonish'"));
    }

    [Test]
    public async Task ReadOnlyOnThenOff_StatusShowsTheModeThenNormal()
    {
        var env = await TestEnvironment.CreateAsync();

        var on = await env.RunAsync("readonly", "on", "--yes");
        var maintenance = await env.RunAsync("readonly", "on", "--maintenance", "--scope", "game=x", "--yes");
        var during = await env.RunAsync("status", "--json");
        var offMaintenance = await env.RunAsync("readonly", "off", "--maintenance", "--scope", "game=x");
        var off = await env.RunAsync("readonly", "off");
        var after = await env.RunAsync("status");

        Assert.That((on.ExitCode, off.ExitCode), Is.EqualTo((0, 0)), on + "\n" + off);
        Assert.That(on.Stdout, Does.Contain("read-only on for everyone until switched off"));
        Assert.That(maintenance.ExitCode, Is.EqualTo(0), maintenance.ToString);
        Assert.That(during.Json().GetProperty("modes").GetProperty("mode").GetString(), Is.EqualTo("read-only"));
        Assert.That(during.Json().GetProperty("modes").GetProperty("switches").GetArrayLength(), Is.EqualTo(2));
        Assert.That(offMaintenance.Stdout, Does.Contain("maintenance off for game=x"));
        Assert.That(off.Stdout, Does.Contain("read-only off for everyone").And.Contain("mode now: normal"));
        Assert.That(after.Stdout, Does.Contain("mode: normal").And.Contain("next window: none announced"));
    }

    [Test]
    public async Task Maintenance_ScheduleListStatusCancel()
    {
        var env = await TestEnvironment.CreateAsync();

        var scheduled = await env.RunAsync("maintenance", "schedule", "--start", "10m", "--end", "30m", "--message", "database upgrade", "--json");
        var list = await env.RunAsync("maintenance", "list", "--json");
        var status = await env.RunAsync("status");
        var unknown = await env.RunAsync("maintenance", "cancel", "mw-99", "--yes");
        var cancelled = await env.RunAsync("maintenance", "cancel", "mw-1", "--yes");
        var after = await env.RunAsync("maintenance", "list", "--json");

        Assert.That(scheduled.ExitCode, Is.EqualTo(0), scheduled.ToString);
        Assert.That(scheduled.Json().GetProperty("id").GetString(), Is.EqualTo("mw-1"));
        var next = list.Json().GetProperty("nextWindow");
        Assert.That((next.GetProperty("id").GetString(), next.GetProperty("message").GetString()), Is.EqualTo(("mw-1", "database upgrade")));
        Assert.That(next.GetProperty("end").GetDateTimeOffset() - next.GetProperty("start").GetDateTimeOffset(), Is.EqualTo(TimeSpan.FromMinutes(30)));
        Assert.That(list.Json().GetProperty("mode").GetString(), Is.EqualTo("normal"), "announced, not yet in force");
        Assert.That(status.Stdout, Does.Match(@"next window: mw-1 maintenance for everyone in (9|10) minutes: .* ""database upgrade"""));
        Assert.That(unknown.ExitCode, Is.EqualTo(3), unknown.ToString);
        Assert.That(cancelled.ExitCode, Is.EqualTo(0), cancelled.ToString);
        Assert.That(after.Json().GetProperty("windows").GetArrayLength(), Is.Zero);
        Assert.That(after.Json().GetProperty("nextWindow").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
