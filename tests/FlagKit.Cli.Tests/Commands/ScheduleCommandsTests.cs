using System.Globalization;
using FlagKit.Cli.Tests.Infrastructure;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>
/// Scheduling from the CLI: any write command with <c>--at</c> / <c>--in</c> is stored as a scheduled change and applied
/// by the server when due; <c>schedule list|show|change|cancel</c> manage it.
/// </summary>
[TestFixture]
public sealed class ScheduleCommandsTests
{
    [Test]
    public async Task Kill_WithIn_ScheduledNowAppliedWhenDue()
    {
        var env = await TestEnvironment.CreateAsync();
        var before = await env.RevisionAsync();

        var scheduled = await env.RunAsync("kill", "wallet-a", "--in", "2s", "-m", "planned", "--json");
        var killedAtOnce = (await env.FlagAsync("wallet-a")).GetProperty("killed").GetBoolean();
        var id = scheduled.Json().GetProperty("id").GetInt64();
        var applied = await WaitForStateAsync(env, id, "applied");

        Assert.That(scheduled.ExitCode, Is.EqualTo(0), scheduled.ToString);
        Assert.That(scheduled.Json().GetProperty("state").GetString(), Is.EqualTo("pending"));
        Assert.That(scheduled.Json().GetProperty("description").GetString(), Is.EqualTo("killed"));
        Assert.That(killedAtOnce, Is.False, "scheduled, not made now");
        Assert.That(applied.GetProperty("appliedRevision").GetInt64(), Is.EqualTo(before + 1));
        Assert.That((await env.FlagAsync("wallet-a")).GetProperty("killed").GetBoolean(), Is.True);
        var history = await env.RunAsync("history", "wallet-a", "--json");
        Assert.That(history.Stdout, Does.Contain($"killed (scheduled change #{id} by bootstrap admin, due "));
    }

    [Test]
    public async Task Rollout_WithAt_ListedMovedAndCancelled()
    {
        var env = await TestEnvironment.CreateAsync();
        var at = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        var scheduled = await env.RunAsync("rollout", "checkout-v2", "25", "--at", at);
        var id = ParseId(scheduled.Stdout);
        var list = await env.RunAsync("schedule", "list");
        var moved = await env.RunAsync("schedule", "change", "#" + id, "--in", "2h", "--json");
        var unconfirmed = await env.RunAsync("schedule", "cancel", id.ToString(CultureInfo.InvariantCulture));
        var cancelled = await env.RunAsync("schedule", "cancel", id.ToString(CultureInfo.InvariantCulture), "--yes", "-m", "match moved");
        var again = await env.RunAsync("schedule", "cancel", id.ToString(CultureInfo.InvariantCulture), "--yes");
        var all = await env.RunAsync("schedule", "list", "--all", "--json");

        Assert.That(scheduled.ExitCode, Is.EqualTo(0), scheduled.ToString);
        Assert.That(scheduled.Stdout, Does.Contain($"scheduled change #{id} in '{env.Name}': checkout-v2: rollout to 25 %, due "));
        Assert.That(list.Stdout, Does.Match($@"#{id}\s+{env.Name}\s+\S+ \S+\s+pending\s+checkout-v2: rollout to 25 %"), list.ToString);
        Assert.That(moved.Json().GetProperty("dueAt").GetDateTimeOffset(), Is.GreaterThan(DateTimeOffset.UtcNow.AddHours(1.9)), moved.ToString);
        Assert.That(unconfirmed.ExitCode, Is.EqualTo(ExitCodes.Usage), unconfirmed.ToString);
        Assert.That(unconfirmed.Stderr, Does.Contain($"refusing to cancel scheduled change #{id} (checkout-v2: rollout to 25 % in '{env.Name}'"));
        Assert.That(cancelled.ExitCode, Is.EqualTo(0), cancelled.ToString);
        Assert.That(again.ExitCode, Is.EqualTo(ExitCodes.Conflict), again.ToString);
        Assert.That(again.Stderr, Does.Contain($"scheduled change #{id} is cancelled; only a pending change can be cancelled."));
        Assert.That(all.Json().GetProperty("changes")[0].GetProperty("state").GetString(), Is.EqualTo("cancelled"));
        Assert.That(await env.RevisionAsync(), Is.EqualTo(1), "nothing was written");
    }

    [Test]
    public async Task Kill_AtWithoutZone_UsageErrorNothingScheduled()
    {
        var env = await TestEnvironment.CreateAsync();

        var result = await env.RunAsync("kill", "wallet-a", "--at", "2026-12-05T02:00");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr, Does.Contain("--at '2026-12-05T02:00' is not a time with a zone"));
        var pending = await TestEnvironment.Admin.ScheduleListAsync(new ScheduleListRequest { Environment = env.Name });
        Assert.That(pending.Changes, Is.Empty);
    }

    [Test]
    public async Task Enable_InWithWait_UsageError()
    {
        var env = await TestEnvironment.CreateAsync();

        var result = await env.RunAsync("enable", "wallet-b", "--in", "1h", "--wait");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr, Does.Contain("--wait waits for a write made now"));
    }

    [Test]
    public async Task ScheduleShow_UnknownId_NotFound()
    {
        var env = await TestEnvironment.CreateAsync();

        var result = await env.RunAsync("schedule", "show", "999999");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.NotFound), result.ToString);
        Assert.That(result.Stderr, Does.Contain("there is no scheduled change #999999"));
    }

    private static long ParseId(string stdout)
    {
        var start = stdout.IndexOf('#', StringComparison.Ordinal) + 1;
        var end = stdout.IndexOf(' ', start);
        return long.Parse(stdout[start..end], CultureInfo.InvariantCulture);
    }

    private static async Task<System.Text.Json.JsonElement> WaitForStateAsync(TestEnvironment env, long id, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var info = await TestEnvironment.Admin.ScheduleGetAsync(new ScheduleGetRequest { Id = id });
            var name = info.State.ToString().ToLowerInvariant();
            if (name == state || DateTime.UtcNow > deadline)
            {
                var show = await env.RunAsync("schedule", "show", id.ToString(CultureInfo.InvariantCulture), "--json");
                Assert.That(show.Json().GetProperty("state").GetString(), Is.EqualTo(state), show.ToString);
                return show.Json();
            }

            await Task.Delay(100);
        }
    }
}
