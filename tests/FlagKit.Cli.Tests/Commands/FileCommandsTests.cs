using FlagKit.Cli.Tests.Infrastructure;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>Config as code: diff, apply (stale revision, prune, local validation) and export.</summary>
[TestFixture]
public sealed class FileCommandsTests
{
    /// <summary>The seed file with checkout-v2 at 25 %, wallet-b on, a new flag, and legacy-banner left out.</summary>
    private const string Edited = """
        {
          "schema": 1,
          "flags": [
            { "key": "checkout-v2", "kind": "bool", "on": true, "tags": ["checkout"],
              "variants": { "on": true, "off": false }, "offVariant": "off",
              "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 25 }, { "variant": "off", "weight": 75 } ] } } },
            { "key": "wallet-a", "kind": "bool", "on": true, "tags": ["wallet"],
              "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } },
            { "key": "wallet-b", "kind": "bool", "on": true, "tags": ["wallet"],
              "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } },
            { "key": "search-v3", "kind": "bool",
              "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "off" } }
          ],
          "segments": [
            { "key": "staff", "included": ["acct-1"] }
          ]
        }
        """;

    [Test]
    public async Task Diff_EditedFile_ShowsExactlyWhatWouldChangeAndCommitsNothing()
    {
        var env = await TestEnvironment.CreateAsync();
        var revision = await env.RevisionAsync();
        var file = TestEnvironment.WriteFile(Edited, byteOrderMark: true);

        var human = await env.RunAsync("diff", file);
        var json = await env.RunAsync("diff", file, "--prune", "--json");

        Assert.That(human.ExitCode, Is.EqualTo(0), human.ToString);
        Assert.That(human.Stdout, Does.Contain("~ flag checkout-v2 updated")
            .And.Contain("    defaultRule.split.variants[0].weight: 5 → 25")
            .And.Contain("~ flag wallet-b updated")
            .And.Contain("on: false → true")
            .And.Contain("+ flag search-v3 created")
            .And.Contain($"--expected-revision {revision}"));
        Assert.That(human.Stdout, Does.Not.Contain("legacy-banner archived"), "without --prune nothing is archived");
        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString);
        var plan = json.Json();
        Assert.That(plan.GetProperty("dryRun").GetBoolean(), Is.True);
        var actions = plan.GetProperty("changes").EnumerateArray()
            .Where(c => c.GetProperty("action").GetString() != "unchanged")
            .ToDictionary(c => c.GetProperty("key").GetString()!, c => c.GetProperty("action").GetString());
        Assert.That(actions, Is.EquivalentTo(new Dictionary<string, string?> { ["checkout-v2"] = "updated", ["wallet-b"] = "updated", ["search-v3"] = "created", ["legacy-banner"] = "archived" }));
        Assert.That(await env.RevisionAsync(), Is.EqualTo(revision));
    }

    [Test]
    public async Task Apply_EnvironmentChangedSinceTheDiff_ExitsConflictAndOverwritesNothing()
    {
        var env = await TestEnvironment.CreateAsync();
        var file = TestEnvironment.WriteFile(Edited);
        var diff = await env.RunAsync("diff", file, "--json");
        var diffRevision = diff.Json().GetProperty("revision").GetInt64();
        await env.SetStateAsync("checkout-v2", FlagStateChange.Kill); // someone else, meanwhile

        var apply = await env.RunAsync("apply", file, "--expected-revision", diffRevision.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.That(apply.ExitCode, Is.EqualTo(ExitCodes.Conflict), apply.ToString);
        Assert.That(apply.Json().GetProperty("error").GetProperty("kind").GetString(), Is.EqualTo("conflict"));
        Assert.That(apply.Stderr, Does.Contain("flagkit diff"));
        var flag = await env.FlagAsync("checkout-v2");
        Assert.That(flag.GetProperty("killed").GetBoolean(), Is.True, "the other change survives");
        Assert.That(flag.GetProperty("defaultRule").GetProperty("split").GetProperty("variants")[0].GetProperty("weight").GetDouble(), Is.EqualTo(5));
    }

    [Test]
    public async Task Apply_PruneWithYes_CommitsThePlanInOneRevisionThenReapplyIsANoOp()
    {
        var env = await TestEnvironment.CreateAsync();
        var before = await env.RevisionAsync();
        var file = TestEnvironment.WriteFile(Edited);

        var refused = await env.RunAsync("apply", file, "--prune");
        var apply = await env.RunAsync("apply", file, "--prune", "--yes");
        var again = await env.RunAsync("apply", file, "--prune");

        Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.Usage), refused.ToString);
        Assert.That(refused.Stderr, Does.Contain("archive 1 document").And.Contain("legacy-banner"));
        Assert.That(apply.ExitCode, Is.EqualTo(0), apply.ToString);
        Assert.That(apply.Stdout, Does.Contain("- flag legacy-banner archived").And.Contain($"{env.Name}: revision {before} → {before + 1}"));
        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString);
        Assert.That(again.Stdout, Does.Contain("no change"));
        Assert.That(await env.RevisionAsync(), Is.EqualTo(before + 1));
    }

    [Test]
    public async Task DiffAndApply_InvalidFile_ExitInvalidWithTheCompilersMessageBeforeAnyNetworkCall()
    {
        var invalid = TestEnvironment.SeedFile.Replace("\"offVariant\": \"off\", \"defaultRule\": { \"variant\": \"on\" } },", "\"offVariant\": \"nope\", \"defaultRule\": { \"variant\": \"on\" } },", StringComparison.Ordinal);
        Assert.That(invalid, Is.Not.EqualTo(TestEnvironment.SeedFile));
        var file = TestEnvironment.WriteFile(invalid);
        var unreachable = FlagKitProcess.ClosedPortUrl(); // reaching the network would exit 6, not 7

        var diff = await FlagKitProcess.RunAsync(["diff", file, "--url", unreachable]);
        var apply = await FlagKitProcess.RunAsync(["apply", file, "--url", unreachable, "--json"]);

        Assert.That(diff.ExitCode, Is.EqualTo(ExitCodes.Invalid), diff.ToString);
        Assert.That(diff.Stderr, Does.Contain("flag 'wallet-a'").And.Contain("$.flags[1]").And.Contain("nothing was sent to the server"));
        Assert.That(apply.ExitCode, Is.EqualTo(ExitCodes.Invalid), apply.ToString);
        var problem = apply.Json().GetProperty("error").GetProperty("problems")[0];
        Assert.That(problem.GetProperty("path").GetString(), Does.StartWith("$.flags[1]"));
    }

    [Test]
    public async Task Export_ThenApplyTheExport_RoundTripsWithoutChange()
    {
        var env = await TestEnvironment.CreateAsync();
        var path = Path.Combine(FlagKitProcess.IsolatedHome, $"export-{env.Name}.json");

        var toFile = await env.RunAsync("export", "-o", path);
        var json = await env.RunAsync("export", "--json");
        var diff = await env.RunAsync("diff", path, "--prune", "--json");

        Assert.That(toFile.ExitCode, Is.EqualTo(0), toFile.ToString);
        Assert.That(json.Json().GetProperty("file").GetProperty("flags").GetArrayLength(), Is.EqualTo(4));
        Assert.That(diff.ExitCode, Is.EqualTo(0), diff.ToString);
        Assert.That(diff.Json().GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("action").GetString()), Has.All.EqualTo("unchanged"));
    }
}
