using FlagKit.Cli.Tests.Infrastructure;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>Kill sources from the CLI: each kill keeps its source; unkill lifts only what it names and says what still holds.</summary>
[TestFixture]
public sealed class KillCommandsTests
{
    [Test]
    public async Task UnkillTag_FlagAlsoKilledByItself_StaysKilledAndGetListStatusSayWhy()
    {
        var env = await TestEnvironment.CreateAsync();
        var own = await env.RunAsync("kill", "wallet-a", "-m", "INC-A");
        var tag = await env.RunAsync("kill", "--tag", "wallet", "-m", "INC-B", "--yes");

        var unkill = await env.RunAsync("unkill", "--tag", "wallet", "--yes", "--json");

        Assert.That(own.ExitCode, Is.EqualTo(0), own.ToString);
        Assert.That(tag.ExitCode, Is.EqualTo(0), tag.ToString);
        Assert.That(unkill.ExitCode, Is.EqualTo(0), unkill.ToString);
        var state = unkill.Json().GetProperty("killState").EnumerateArray().ToDictionary(f => f.GetProperty("key").GetString()!);
        Assert.That(state["wallet-a"].GetProperty("killed").GetBoolean(), Is.True, "INC-A still stands");
        Assert.That(state["wallet-a"].GetProperty("kills")[0].GetProperty("source").GetString(), Is.EqualTo("flag"));
        Assert.That(state["wallet-a"].GetProperty("kills")[0].GetProperty("reason").GetString(), Is.EqualTo("INC-A"));
        Assert.That(state["wallet-b"].GetProperty("killed").GetBoolean(), Is.False);
        Assert.That((await env.FlagAsync("wallet-a")).GetProperty("killed").GetBoolean(), Is.True);

        var get = await env.RunAsync("get", "wallet-a");
        var list = await env.RunAsync("list");
        var status = await env.RunAsync("status", "--json");
        Assert.That(get.Stdout, Does.Match(@"killed by\s+flag \(INC-A, bootstrap admin, \d{4}-"), get.ToString);
        Assert.That(list.Stdout, Does.Match(@"wallet-a\s+killed\s.*flag \(INC-A, bootstrap admin\)"), list.ToString);
        var killed = status.Json().GetProperty("killedFlags").EnumerateArray().Select(f => f.GetProperty("key").GetString());
        Assert.That(killed, Is.EqualTo(new[] { "legacy-banner", "wallet-a" }), status.ToString);
    }

    [Test]
    public async Task UnkillTag_NotATerminalWithoutYes_RefusesNamingTheFlagsAndChangesNothing()
    {
        var env = await TestEnvironment.CreateAsync();
        await env.RunAsync("kill", "--tag", "wallet", "--yes");
        var before = await env.RevisionAsync();

        var result = await env.RunAsync("unkill", "--tag", "wallet");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr, Does.Contain("refusing to lift the kill by tag 'wallet' of 2 flags tagged 'wallet'").And.Contain("(wallet-a, wallet-b)"));
        Assert.That(await env.RevisionAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task UnkillAll_AsksThenLiftsEverySource()
    {
        var env = await TestEnvironment.CreateAsync();
        await env.RunAsync("kill", "wallet-a", "-m", "mine");
        await env.RunAsync("kill", "--tag", "wallet", "--yes");
        await env.RunAsync("kill", "wallet-a", "--incident", "INC-9");

        var refused = await env.RunAsync("unkill", "wallet-a", "--all");
        var lifted = await env.RunAsync("unkill", "wallet-a", "--all", "--yes");

        Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.Usage), refused.ToString);
        Assert.That(refused.Stderr, Does.Contain("lift every kill of flag 'wallet-a'").And.Contain("incident:INC-9"));
        Assert.That(lifted.ExitCode, Is.EqualTo(0), lifted.ToString);
        Assert.That(lifted.Stdout, Does.Contain("not killed: wallet-a"));
        Assert.That((await env.FlagAsync("wallet-a")).GetProperty("killed").GetBoolean(), Is.False);
        Assert.That((await env.FlagAsync("wallet-b")).GetProperty("killed").GetBoolean(), Is.True, "wallet-b's tag kill is another flag's");
    }

    [Test]
    public async Task UnkillIncident_NoFlagNamed_LiftsThatIncidentWherevertItHolds()
    {
        var env = await TestEnvironment.CreateAsync();
        await env.RunAsync("kill", "--tag", "wallet", "--incident", "INC-7", "--yes");
        await env.RunAsync("kill", "checkout-v2", "--incident", "INC-7");
        await env.RunAsync("kill", "wallet-b", "-m", "separate");

        var result = await env.RunAsync("unkill", "--incident", "INC-7");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString);
        Assert.That(result.Stdout, Does.Contain("not killed: checkout-v2").And.Contain("not killed: wallet-a").And.Contain("still killed: wallet-b by flag (separate"));
        Assert.That((await env.FlagAsync("wallet-b")).GetProperty("killed").GetBoolean(), Is.True);
    }
}
