using System.Globalization;
using System.Text.Json;
using FlagKit.Cli.Tests.Infrastructure;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>
/// status, and --wait on writes (PropagationWaiter), with real SDK clients (FlagClient over GrpcFlagSource)
/// connected to the real server, and one deliberately silent raw-stream instance for the timeout.
/// </summary>
[TestFixture]
public sealed class StatusCommandTests
{
    [Test]
    public async Task Status_TwoConnectedSdks_ListsEachWithItsRevisionAndLag()
    {
        var env = await TestEnvironment.CreateAsync();
        var key = await env.CreateSdkKeyAsync();
        await using var checkout = await ConnectedSdk.ConnectAsync(env, key, "checkout");
        await using var wallet = await ConnectedSdk.ConnectAsync(env, key, "wallet");
        var revision = await env.RevisionAsync();

        var json = await env.RunAsync("status", "--json");
        var human = await env.RunAsync("status");

        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString);
        var status = json.Json();
        Assert.That((status.GetProperty("instanceCount").GetInt32(), status.GetProperty("upToDate").GetInt32()), Is.EqualTo((2, 2)));
        var instances = status.GetProperty("instances").EnumerateArray().ToList();
        Assert.That(instances.Select(i => (i.GetProperty("instanceId").GetString(), i.GetProperty("app").GetString())),
            Is.EqualTo(new[] { (checkout.InstanceId, "checkout"), (wallet.InstanceId, "wallet") }));
        Assert.That(instances.Select(i => (i.GetProperty("ackedRevision").GetInt64(), i.GetProperty("lag").GetInt64())), Has.All.EqualTo((revision, 0L)));
        Assert.That(instances.Select(i => i.GetProperty("sdk").GetString()), Has.All.EqualTo(FlagKit.Sources.GrpcFlagSource.SdkName));
        Assert.That(instances.Select(i => i.GetProperty("sentRevision").GetInt64()), Has.All.EqualTo(revision), "the server sent each the revision it acked");
        Assert.That(instances.Where(i => i.GetProperty("sentAt").GetDateTimeOffset() > i.GetProperty("ackedAt").GetDateTimeOffset()), Is.Empty, "sent before acked");
        Assert.That(human.Stdout, Does.Contain("2 SDK instances connected, 2 up to date").And.Match(@"INSTANCE\s+APP\s+SDK\s+REVISION\s+LAG\s+SENT\s+ACKED"));
    }

    [Test]
    public async Task Status_NoFreezes_SaysNoneInForceAndNoneAhead()
    {
        var env = await TestEnvironment.CreateAsync();

        var json = await env.RunAsync("status", "--json");
        var human = await env.RunAsync("status");

        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString);
        var freezes = json.Json().GetProperty("freezes");
        Assert.That((freezes.GetProperty("current").ValueKind, freezes.GetProperty("next").ValueKind), Is.EqualTo((JsonValueKind.Null, JsonValueKind.Null)));
        Assert.That(human.Stdout, Does.Contain("freeze: none in force; next: none ahead"));
    }

    [Test]
    public async Task Status_FreezeInForceAndWeeklyAndOneOffAhead_ShowsTheOneInForceAndTheNextToStart()
    {
        var env = await TestEnvironment.CreateAsync();
        var now = DateTimeOffset.UtcNow;
        // A weekly window starting in 2-4 days (never in force today), a one-off 30 days ahead, one in force now.
        var day = now.AddDays(3).DayOfWeek.ToString()[..3].ToLowerInvariant();
        await env.RunAsync("freeze", "add", "euro-final", "--days", day, "--from", "18:00", "--to", "23:00", "--tz", "Europe/Rome");
        await env.RunAsync("freeze", "add", "black-friday", "--start", Iso(now.AddDays(30)), "--end", Iso(now.AddDays(31)));
        await env.RunAsync("freeze", "add", "launch", "--start", Iso(now.AddMinutes(-1)), "--end", Iso(now.AddHours(1)));
        var list = (await env.RunAsync("freeze", "list", "--json")).Json().GetProperty("freezes").EnumerateArray().ToList();
        var weekly = list.Single(f => f.GetProperty("name").GetString() == "euro-final");
        var launch = list.Single(f => f.GetProperty("name").GetString() == "launch");

        var json = await env.RunAsync("status", "--json");
        var human = await env.RunAsync("status");

        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString);
        var freezes = json.Json().GetProperty("freezes");
        var current = freezes.GetProperty("current");
        var next = freezes.GetProperty("next");
        Assert.That(current.GetProperty("name").GetString(), Is.EqualTo("launch"));
        Assert.That(current.GetProperty("start").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(current.GetProperty("end").GetDateTimeOffset(), Is.EqualTo(launch.GetProperty("currentEnd").GetDateTimeOffset()));
        Assert.That(next.GetProperty("name").GetString(), Is.EqualTo("euro-final"), "the earliest next start of the three windows");
        Assert.That(next.GetProperty("start").GetDateTimeOffset(), Is.EqualTo(weekly.GetProperty("nextStart").GetDateTimeOffset()));
        Assert.That(next.GetProperty("end").GetDateTimeOffset(), Is.EqualTo(weekly.GetProperty("nextEnd").GetDateTimeOffset()));
        Assert.That(human.ExitCode, Is.EqualTo(0), human.ToString);
        var start = weekly.GetProperty("nextStart").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Assert.That(human.Stdout, Does.Contain("freeze: FROZEN by 'launch' until ").And.Contain($"next: 'euro-final' in ").And.Contain($": {start} – "));
    }

    [Test]
    public async Task Wait_EverySdkApplies_ReportsHowManyAndHowLongAndTheyServeTheChangeAtOnce()
    {
        var env = await TestEnvironment.CreateAsync();
        var key = await env.CreateSdkKeyAsync();
        await using var first = await ConnectedSdk.ConnectAsync(env, key, "api");
        await using var second = await ConnectedSdk.ConnectAsync(env, key, "api");

        var result = await env.RunAsync("kill", "checkout-v2", "--wait", "--timeout", "20s", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString);
        var write = result.Json();
        var wait = write.GetProperty("wait");
        Assert.That(wait.GetProperty("revision").GetInt64(), Is.EqualTo(write.GetProperty("revision").GetInt64()));
        Assert.That((wait.GetProperty("instances").GetInt32(), wait.GetProperty("applied").GetInt32(), wait.GetProperty("complete").GetBoolean()), Is.EqualTo((2, 2, true)));
        Assert.That(wait.GetProperty("elapsedSeconds").GetDouble(), Is.GreaterThanOrEqualTo(0).And.LessThan(20));
        // --wait returned: every SDK already serves the kill.
        foreach (var sdk in new[] { first, second })
        {
            var details = sdk.Client.GetBoolDetails("checkout-v2", EvaluationContext.ForAccount("acct-42"), defaultValue: true);
            Assert.That((details.Value, details.Reason), Is.EqualTo((false, EvaluationReason.Killed)));
        }
    }

    [Test]
    public async Task Wait_AnInstanceNeverApplies_TimesOutNamingItAndExitsWaitTimedOut()
    {
        var env = await TestEnvironment.CreateAsync();
        var key = await env.CreateSdkKeyAsync();
        await using var healthy = await ConnectedSdk.ConnectAsync(env, key, "worker");
        using var stuck = await SilentInstance.ConnectAsync(env, key, "worker-stuck");
        var before = await env.RevisionAsync();

        var result = await env.RunAsync("rollout", "checkout-v2", "50", "--wait", "--timeout", "1s");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.WaitTimedOut), result.ToString);
        Assert.That(result.Stdout, Does.Contain($"1/2 SDK instances applied revision {before + 1}").And.Contain("worker-stuck"));
        Assert.That(result.Stdout, Does.Not.Contain(healthy.InstanceId));
        var split = (await env.FlagAsync("checkout-v2")).GetProperty("defaultRule").GetProperty("split").GetProperty("variants");
        Assert.That(split[0].GetProperty("weight").GetDouble(), Is.EqualTo(50), "the change is committed all the same");
    }

    [Test]
    public async Task Wait_NoInstanceConnected_SucceedsAtOnce()
    {
        var env = await TestEnvironment.CreateAsync();

        var result = await env.RunAsync("enable", "wallet-b", "--wait");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString);
        Assert.That(result.Stdout, Does.Contain("no SDK instance is connected; nothing to wait for."));
    }

    private static string Iso(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
