using FlagKit.Cli.Tests.Infrastructure;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>status, and --wait on writes (PropagationWaiter), with SDK instances connected over the real sync stream.</summary>
[TestFixture]
public sealed class StatusCommandTests
{
    [Test]
    public async Task Status_TwoConnectedInstances_ListsEachWithItsRevisionAndLag()
    {
        var env = await TestEnvironment.CreateAsync();
        var key = await env.CreateSdkKeyAsync();
        await using var first = await AckingInstance.ConnectAsync(env, key, "checkout-1");
        await using var second = await AckingInstance.ConnectAsync(env, key, "checkout-2");
        var revision = await env.RevisionAsync();

        var json = await env.RunAsync("status", "--json");
        var human = await env.RunAsync("status");

        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString);
        var status = json.Json();
        Assert.That(status.GetProperty("instanceCount").GetInt32(), Is.EqualTo(2));
        Assert.That(status.GetProperty("upToDate").GetInt32(), Is.EqualTo(2));
        var instances = status.GetProperty("instances").EnumerateArray().ToList();
        Assert.That(instances.Select(i => i.GetProperty("instanceId").GetString()), Is.EqualTo(new[] { "checkout-1", "checkout-2" }));
        Assert.That(instances.Select(i => (i.GetProperty("ackedRevision").GetInt64(), i.GetProperty("lag").GetInt64())), Has.All.EqualTo((revision, 0L)));
        Assert.That(human.Stdout, Does.Contain("2 SDK instances connected, 2 up to date").And.Match(@"INSTANCE\s+APP\s+SDK\s+REVISION\s+LAG"));
    }

    [Test]
    public async Task Wait_EveryInstanceAcks_ReportsHowManyAndHowLong()
    {
        var env = await TestEnvironment.CreateAsync();
        var key = await env.CreateSdkKeyAsync();
        await using var first = await AckingInstance.ConnectAsync(env, key, "api-1");
        await using var second = await AckingInstance.ConnectAsync(env, key, "api-2");

        var result = await env.RunAsync("rollout", "checkout-v2", "50", "--wait", "--timeout", "20s", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString);
        var write = result.Json();
        var wait = write.GetProperty("wait");
        Assert.That(wait.GetProperty("revision").GetInt64(), Is.EqualTo(write.GetProperty("revision").GetInt64()));
        Assert.That((wait.GetProperty("instances").GetInt32(), wait.GetProperty("applied").GetInt32(), wait.GetProperty("complete").GetBoolean()), Is.EqualTo((2, 2, true)));
        Assert.That(wait.GetProperty("elapsedSeconds").GetDouble(), Is.GreaterThanOrEqualTo(0).And.LessThan(20));
    }

    [Test]
    public async Task Wait_AnInstanceNeverAcks_TimesOutNamingItAndExitsWaitTimedOut()
    {
        var env = await TestEnvironment.CreateAsync();
        var key = await env.CreateSdkKeyAsync();
        await using var healthy = await AckingInstance.ConnectAsync(env, key, "worker-ok");
        await using var stuck = await AckingInstance.ConnectAsync(env, key, "worker-stuck", acknowledges: false);
        var before = await env.RevisionAsync();

        var result = await env.RunAsync("kill", "checkout-v2", "--wait", "--timeout", "1s");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.WaitTimedOut), result.ToString);
        Assert.That(result.Stdout, Does.Contain($"1/2 SDK instances applied revision {before + 1}").And.Contain("worker-stuck"));
        Assert.That(result.Stdout, Does.Not.Contain("worker-ok"));
        Assert.That((await env.FlagAsync("checkout-v2")).GetProperty("killed").GetBoolean(), Is.True, "the change is committed all the same");
    }

    [Test]
    public async Task Wait_NoInstanceConnected_SucceedsAtOnce()
    {
        var env = await TestEnvironment.CreateAsync();

        var result = await env.RunAsync("enable", "wallet-b", "--wait");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString);
        Assert.That(result.Stdout, Does.Contain("no SDK instance is connected; nothing to wait for."));
    }
}
