using FlagKit.Cli.Tests.Infrastructure;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>history and rollback (one flag, and the whole environment).</summary>
[TestFixture]
public sealed class HistoryCommandsTests
{
    [Test]
    public async Task History_AfterWrites_ListsThemNewestFirstWithAuthorAndComment()
    {
        var env = await TestEnvironment.CreateAsync();
        await env.SetRolloutAsync("checkout-v2", 25, "canary step 2");

        var json = await env.RunAsync("history", "checkout-v2", "--json");
        var table = await env.RunAsync("history", "--limit", "1");

        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString);
        var entries = json.Json().GetProperty("entries");
        Assert.That(entries.GetArrayLength(), Is.EqualTo(2), "created by the seed file, then the rollout");
        Assert.That(entries[0].GetProperty("comment").GetString(), Is.EqualTo("canary step 2"));
        Assert.That(entries[0].GetProperty("revision").GetInt64(), Is.GreaterThan(entries[1].GetProperty("revision").GetInt64()));
        Assert.That(entries[0].GetProperty("after").GetProperty("defaultRule").GetProperty("split").GetProperty("variants")[0].GetProperty("weight").GetDouble(), Is.EqualTo(25));
        Assert.That(table.ExitCode, Is.EqualTo(0), table.ToString);
        var lines = table.Stdout.ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.Match(@"^REVISION\s+TIME\s+KIND\s+KEY\s+ACTION\s+AUTHOR\s+(OPERATION\s+)?CHANGE\s+COMMENT$"));
        Assert.That(lines[1], Does.Contain("checkout-v2").And.Contain("canary step 2"));
    }

    [Test]
    public async Task Rollback_FlagToEarlierRevision_RestoresItInANewRevision()
    {
        var env = await TestEnvironment.CreateAsync();
        var seeded = await env.RevisionAsync();
        await env.SetRolloutAsync("checkout-v2", 50);

        var result = await env.RunAsync("rollback", "checkout-v2", "--to", seeded.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString);
        Assert.That(result.Json().GetProperty("revision").GetInt64(), Is.EqualTo(seeded + 2));
        var split = (await env.FlagAsync("checkout-v2")).GetProperty("defaultRule").GetProperty("split").GetProperty("variants");
        Assert.That(split[0].GetProperty("weight").GetDouble(), Is.EqualTo(5));
    }

    [Test]
    public async Task Rollback_WholeEnvironment_NeedsYesOffATerminalThenRestoresEverything()
    {
        var env = await TestEnvironment.CreateAsync();
        var seeded = (await env.RevisionAsync()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await env.SetStateAsync("checkout-v2", FlagStateChange.Kill);
        await env.SetStateAsync("wallet-b", FlagStateChange.Enable);

        var refused = await env.RunAsync("rollback", "--to", seeded);
        var revisionAfterRefusal = await env.RevisionAsync();
        var done = await env.RunAsync("rollback", "--to", seeded, "--yes");

        Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.Usage), refused.ToString);
        Assert.That(refused.Stderr, Does.Contain($"roll the WHOLE environment '{env.Name}' back to revision {seeded}"));
        Assert.That(revisionAfterRefusal, Is.EqualTo(long.Parse(seeded, System.Globalization.CultureInfo.InvariantCulture) + 2));
        Assert.That(done.ExitCode, Is.EqualTo(0), done.ToString);
        Assert.That((await env.FlagAsync("checkout-v2")).GetProperty("killed").GetBoolean(), Is.False);
        Assert.That((await env.FlagAsync("wallet-b")).GetProperty("on").GetBoolean(), Is.False);
    }
}
