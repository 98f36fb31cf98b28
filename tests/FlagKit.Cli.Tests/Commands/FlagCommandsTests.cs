using System.Text.Json;
using FlagKit.Cli.Tests.Infrastructure;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>list, get, enable, disable, kill, unkill, rollout, target, archive — against a real server.</summary>
[TestFixture]
public sealed class FlagCommandsTests
{
    [Test]
    public async Task List_JsonAndFilters_ReturnsStateServesAndTags()
    {
        var env = await TestEnvironment.CreateAsync();

        var all = await env.RunAsync("list", "--json");
        var wallet = await env.RunAsync("list", "--tag", "wallet", "--json");
        var killed = await env.RunAsync("list", "--state", "killed");

        Assert.That(all.ExitCode, Is.EqualTo(0), all.ToString);
        var flags = all.Json().GetProperty("flags").EnumerateArray().ToDictionary(f => f.GetProperty("key").GetString()!);
        Assert.That(flags.Keys, Is.EqualTo(new[] { "checkout-v2", "legacy-banner", "wallet-a", "wallet-b" }));
        Assert.That(flags["checkout-v2"].GetProperty("state").GetString(), Is.EqualTo("on"));
        Assert.That(flags["checkout-v2"].GetProperty("serves").GetString(), Is.EqualTo("on 5% / off 95%"));
        Assert.That(flags["wallet-b"].GetProperty("state").GetString(), Is.EqualTo("off"));
        Assert.That(flags["legacy-banner"].GetProperty("state").GetString(), Is.EqualTo("killed"));
        Assert.That(all.Json().GetProperty("revision").GetInt64(), Is.EqualTo(await env.RevisionAsync()));

        Assert.That(wallet.Json().GetProperty("flags").EnumerateArray().Select(f => f.GetProperty("key").GetString()), Is.EqualTo(new[] { "wallet-a", "wallet-b" }));

        Assert.That(killed.ExitCode, Is.EqualTo(0), killed.ToString);
        var lines = killed.Stdout.ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.That(lines[1], Does.Match(@"^FLAG\s+STATE\s+SERVES\s+TAGS\s+VERSION\s+UPDATED\s+KILLED BY$"));
        Assert.That(lines[2], Does.Match(@"^legacy-banner\s+killed\s+old\s+.*\sflag$"), "killed before sources were recorded: its own kill");
        Assert.That(lines, Has.Length.EqualTo(3));
    }

    [Test]
    public async Task Get_ExistingAndMissingFlag_ShowsDocumentOrExitsNotFound()
    {
        var env = await TestEnvironment.CreateAsync();

        var found = await env.RunAsync("get", "checkout-v2", "--json");
        var human = await env.RunAsync("get", "checkout-v2");
        var missing = await env.RunAsync("get", "no-such-flag");

        Assert.That(found.ExitCode, Is.EqualTo(0), found.ToString);
        var json = found.Json();
        Assert.That(json.GetProperty("key").GetString(), Is.EqualTo("checkout-v2"));
        Assert.That(json.GetProperty("state").GetString(), Is.EqualTo("on"));
        Assert.That(json.GetProperty("document").GetProperty("defaultRule").GetProperty("split").GetProperty("variants")[0].GetProperty("weight").GetDouble(), Is.EqualTo(5));
        Assert.That(human.Stdout, Does.Contain("serves").And.Contain("on 5% / off 95%").And.Contain("\"offVariant\": \"off\""));
        Assert.That(missing.ExitCode, Is.EqualTo(ExitCodes.NotFound), missing.ToString);
        Assert.That(missing.Stderr, Does.Contain("no-such-flag"));
    }

    [Test]
    public async Task EnableDisable_Flag_PrintsBeforeAfterAndNewRevision()
    {
        var env = await TestEnvironment.CreateAsync();
        var before = await env.RevisionAsync();

        var enable = await env.RunAsync("enable", "wallet-b", "-m", "go", "--json");
        var disable = await env.RunAsync("disable", "wallet-b");

        Assert.That(enable.ExitCode, Is.EqualTo(0), enable.ToString);
        var write = enable.Json();
        Assert.That(write.GetProperty("previousRevision").GetInt64(), Is.EqualTo(before));
        Assert.That(write.GetProperty("revision").GetInt64(), Is.EqualTo(before + 1));
        var change = write.GetProperty("changes").EnumerateArray().Single();
        Assert.That(change.GetProperty("key").GetString(), Is.EqualTo("wallet-b"));
        Assert.That(change.GetProperty("action").GetString(), Is.EqualTo("updated"));
        var field = change.GetProperty("fields").EnumerateArray().Single();
        Assert.That((field.GetProperty("path").GetString(), field.GetProperty("before").GetBoolean(), field.GetProperty("after").GetBoolean()), Is.EqualTo(("$.on", false, true)));

        Assert.That(disable.ExitCode, Is.EqualTo(0), disable.ToString);
        Assert.That(disable.Stdout, Does.Contain("~ flag wallet-b updated").And.Contain("on: true → false").And.Contain($"{env.Name}: revision {before + 1} → {before + 2}"));
        Assert.That((await env.FlagAsync("wallet-b")).GetProperty("on").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Enable_RetriedWithTheSameIdempotencyKey_AppliesOnceAndSaysReplayed()
    {
        var env = await TestEnvironment.CreateAsync();
        var before = await env.RevisionAsync();

        var first = await env.RunAsync("enable", "wallet-b", "--idempotency-key", "deploy-812", "--json");
        var retry = await env.RunAsync("enable", "wallet-b", "--idempotency-key", "deploy-812");

        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString);
        Assert.That(first.Json().GetProperty("replayed").GetBoolean(), Is.False);
        Assert.That(retry.ExitCode, Is.EqualTo(0), retry.ToString);
        Assert.That(retry.Stdout, Does.Contain($"revision {before} → {before + 1} (replayed: this write was already applied)"));
        Assert.That(await env.RevisionAsync(), Is.EqualTo(before + 1));
    }

    [Test]
    public async Task KillTag_NotATerminalWithoutYes_RefusesAndChangesNothing()
    {
        var env = await TestEnvironment.CreateAsync();
        var before = await env.RevisionAsync();

        var result = await env.RunAsync("kill", "--tag", "wallet");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr, Does.Contain("refusing to kill 2 flags tagged 'wallet'").And.Contain("(wallet-a, wallet-b)").And.Contain("--yes"));
        Assert.That(await env.RevisionAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task KillTagThenUnkillFlag_WithYes_KillsEveryTaggedFlagInOneRevisionAndThePlainUnkillLeavesTheTagKill()
    {
        var env = await TestEnvironment.CreateAsync();
        var before = await env.RevisionAsync();

        var kill = await env.RunAsync("kill", "--tag", "wallet", "--yes", "--json");
        var unkill = await env.RunAsync("unkill", "wallet-a");
        var unkillTag = await env.RunAsync("unkill", "--tag", "wallet", "--yes");

        Assert.That(kill.ExitCode, Is.EqualTo(0), kill.ToString);
        Assert.That(kill.Json().GetProperty("revision").GetInt64(), Is.EqualTo(before + 1));
        Assert.That(kill.Json().GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("key").GetString()).Order(), Is.EqualTo(new[] { "wallet-a", "wallet-b" }));
        Assert.That(unkill.ExitCode, Is.EqualTo(0), unkill.ToString);
        Assert.That(unkill.Stdout, Does.Contain("still killed: wallet-a by tag:wallet").And.Contain("no change"), "the flag's own kill is not what holds it down");
        Assert.That(unkillTag.ExitCode, Is.EqualTo(0), unkillTag.ToString);
        Assert.That(unkillTag.Stdout, Does.Contain("killed: true → false").And.Contain("not killed: wallet-a").And.Contain("not killed: wallet-b"));
        Assert.That((await env.FlagAsync("wallet-a")).GetProperty("killed").GetBoolean(), Is.False);
        Assert.That((await env.FlagAsync("wallet-b")).GetProperty("killed").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Rollout_PercentThenWeights_SetsTheDefaultSplit()
    {
        var env = await TestEnvironment.CreateAsync();

        var percent = await env.RunAsync("rollout", "checkout-v2", "25%");
        var weights = await env.RunAsync("rollout", "checkout-v2", "--weights", "on=50,off=50", "--json");

        Assert.That(percent.ExitCode, Is.EqualTo(0), percent.ToString);
        Assert.That(percent.Stdout, Does.Contain("defaultRule.split.variants[0].weight: 5 → 25").And.Contain("defaultRule.split.variants[1].weight: 95 → 75"));
        Assert.That(weights.ExitCode, Is.EqualTo(0), weights.ToString);
        var split = (await env.FlagAsync("checkout-v2")).GetProperty("defaultRule").GetProperty("split").GetProperty("variants");
        Assert.That(split.EnumerateArray().Select(v => (v.GetProperty("variant").GetString(), v.GetProperty("weight").GetDouble())), Is.EqualTo(new[] { ("on", 50.0), ("off", 50.0) }));
    }

    [Test]
    public async Task Target_AddThenRemove_ChangesTheVariantsTargets()
    {
        var env = await TestEnvironment.CreateAsync();

        var add = await env.RunAsync("target", "checkout-v2", "on", "--add", "acct-1,acct-2", "acct-3");
        var remove = await env.RunAsync("target", "checkout-v2", "on", "--remove", "acct-2", "--json");

        Assert.That(add.ExitCode, Is.EqualTo(0), add.ToString);
        Assert.That(add.Stdout, Does.Contain("""["acct-1","acct-2","acct-3"]"""));
        Assert.That(remove.ExitCode, Is.EqualTo(0), remove.ToString);
        var targets = (await env.FlagAsync("checkout-v2")).GetProperty("targets").GetProperty("on");
        Assert.That(targets.EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "acct-1", "acct-3" }));
    }

    [Test]
    public async Task Archive_WithYes_RemovesTheFlagFromWhatSdksSee()
    {
        var env = await TestEnvironment.CreateAsync();

        var archive = await env.RunAsync("archive", "legacy-banner", "--yes");
        var get = await env.RunAsync("get", "legacy-banner");

        Assert.That(archive.ExitCode, Is.EqualTo(0), archive.ToString);
        Assert.That(archive.Stdout, Does.Contain("- flag legacy-banner archived"));
        Assert.That(get.ExitCode, Is.EqualTo(ExitCodes.NotFound), get.ToString);
    }

    [TestCase(TestFlagServer.SdkKey, "permission denied")]
    [TestCase(null, "needs an API key")]
    [TestCase("fk_admin_not_a_real_key_000000000000000000", "refused the API key")]
    public async Task Enable_WithoutAnAdminKey_ExitsAuthAndChangesNothing(string? key, string expected)
    {
        var env = await TestEnvironment.CreateAsync();
        var before = await env.RevisionAsync();

        var result = await env.RunWithKeyAsync(key, "enable", "wallet-b");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Auth), result.ToString);
        Assert.That(result.Stderr, Does.Contain(expected));
        Assert.That(await env.RevisionAsync(), Is.EqualTo(before));
    }
}
