using System.Text.RegularExpressions;
using FlagKit.Cli.Tests.Infrastructure;
using FlagKit.Reliability.Tests.Faults;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>The operator's path: who acted (--actor), the audit log, a write whose answer was lost, and the messages.</summary>
[TestFixture]
public sealed partial class OperatorPathTests
{
    [Test]
    public async Task Actor_FlagAndVariable_HistoryAndAuditNameThePerson()
    {
        var env = await TestEnvironment.CreateAsync();

        var kill = await env.RunAsync("--actor", "alice@example.com", "kill", "wallet-a", "-m", "INC-1");
        var rollout = await FlagKitProcess.RunAsync(
            ["--url", TestEnvironment.Url, "--env", env.Name, "rollout", "checkout-v2", "10"],
            new Dictionary<string, string?> { ["FLAGKIT_KEY"] = FlagKit.Server.Tests.TestFlagServer.AdminKey, ["FLAGKIT_ACTOR"] = "bob" });
        var history = await env.RunAsync("history", "--json");
        var audit = await env.RunAsync("audit", "--json");
        var auditTable = await env.RunAsync("audit", "--limit", "2");

        Assert.That(kill.ExitCode, Is.EqualTo(0), kill.ToString);
        Assert.That(rollout.ExitCode, Is.EqualTo(0), rollout.ToString);
        // Newest first: the first entry of each key is its latest change.
        var authors = history.Json().GetProperty("entries").EnumerateArray()
            .GroupBy(e => e.GetProperty("key").GetString()!).ToDictionary(g => g.Key, g => g.First().GetProperty("author").GetString());
        Assert.That(authors["wallet-a"], Is.EqualTo("alice@example.com (key bootstrap admin)"));
        Assert.That(authors["checkout-v2"], Is.EqualTo("bob (key bootstrap admin)"));
        Assert.That(audit.ExitCode, Is.EqualTo(0), audit.ToString);
        var entries = audit.Json().GetProperty("entries");
        Assert.That(entries[0].GetProperty("actor").GetString(), Is.EqualTo("bob (key bootstrap admin)"));
        Assert.That(entries[0].GetProperty("action").GetString(), Is.EqualTo("SetRollout"));
        Assert.That(entries[1].GetProperty("actor").GetString(), Is.EqualTo("alice@example.com (key bootstrap admin)"));
        Assert.That(entries[1].GetProperty("target").GetString(), Is.EqualTo("wallet-a"));
        Assert.That(auditTable.Stdout, Does.Match(@"ID\s+TIME\s+ACTOR\s+ACTION\s+TARGET\s+REVISION\s+DETAIL").And.Contain("bob (key bootstrap admin)"));
        var kills = (await env.FlagAsync("wallet-a")).GetProperty("kills");
        Assert.That(kills[0].GetProperty("by").GetString(), Is.EqualTo("alice@example.com (key bootstrap admin)"));
    }

    [Test]
    public async Task Actor_NotPrintableAscii_UsageErrorBeforeAnyCall()
    {
        var result = await FlagKitProcess.RunAsync(["list", "--actor", "zoë", "--url", FlagKitProcess.ClosedPortUrl()]);

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr, Does.Contain("actor 'zoë' must be 1 to 100 printable ASCII characters"));
    }

    [Test]
    public async Task Write_AnswerCutAfterTheRequestWasSent_ExitsOutcomeUnknownWithKeyRetryAndCheck()
    {
        var env = await TestEnvironment.CreateAsync();
        await using var proxy = FaultProxy.Start(TestEnvironment.Server.Address);
        var before = await env.RevisionAsync();
        // The server's connection preface is well under 300 bytes; the answer to a kill (two flag documents) well over:
        // the cut lands in the answer, after the write committed.
        var cut = proxy.ArmCut(FaultKind.Reset, afterBytes: 300);

        var result = await FlagKitProcess.RunAsync(
            ["--url", proxy.Address.ToString().TrimEnd('/'), "--env", env.Name, "kill", "wallet-a", "-m", "INC-5", "--json"],
            new Dictionary<string, string?> { ["FLAGKIT_KEY"] = FlagKit.Server.Tests.TestFlagServer.AdminKey });

        await cut;
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.OutcomeUnknown), result.ToString);
        Assert.That(await env.RevisionAsync(), Is.EqualTo(before + 1), "the write did land: the outcome really was unknown to the CLI");
        var error = result.Json().GetProperty("error");
        var key = error.GetProperty("idempotencyKey").GetString()!;
        Assert.That(error.GetProperty("kind").GetString(), Is.EqualTo("outcome_unknown"));
        Assert.That(result.Stderr, Does.Contain("may or may not have been applied").And.Contain(key));
        Assert.That(result.Stderr, Does.Not.Contain("cannot reach"));
        var check = error.GetProperty("check").GetString()!;
        Assert.That(check, Is.EqualTo($"flagkit history wallet-a --limit 5 --url {proxy.Address.ToString().TrimEnd('/')} --env {env.Name}"));

        // The retry printed, run as printed (the key is in it): the server answers as it did the first time.
        var retry = error.GetProperty("retry").GetString()!;
        Assert.That(retry, Does.StartWith("flagkit ").And.EndWith($"--idempotency-key {key}"));
        var retried = await FlagKitProcess.RunAsync(
            Words(retry).Skip(1),
            new Dictionary<string, string?> { ["FLAGKIT_KEY"] = FlagKit.Server.Tests.TestFlagServer.AdminKey });
        Assert.That(retried.ExitCode, Is.EqualTo(0), retried.ToString);
        Assert.That(retried.Json().GetProperty("replayed").GetBoolean(), Is.True);
        Assert.That(await env.RevisionAsync(), Is.EqualTo(before + 1), "applied once");
        var checkRun = await FlagKitProcess.RunAsync(Words(check).Skip(1), new Dictionary<string, string?> { ["FLAGKIT_KEY"] = FlagKit.Server.Tests.TestFlagServer.AdminKey });
        Assert.That(checkRun.Stdout, Does.Contain("INC-5"), checkRun.ToString);
    }

    [Test]
    public async Task Write_ServerNotListening_ExitsUnreachableWithoutOutcomeUnknown()
    {
        var result = await FlagKitProcess.RunAsync(["kill", "wallet-a", "--url", FlagKitProcess.ClosedPortUrl(), "--key", "k"]);

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Unreachable), result.ToString);
        Assert.That(result.Stderr, Does.Contain("cannot reach the flag server").And.Not.Contain("idempotency"));
    }

    [Test]
    public async Task Write_SdkKey_SaysAdminKeyOnce()
    {
        var env = await TestEnvironment.CreateAsync();
        var sdkKey = await env.CreateSdkKeyAsync();

        var result = await env.RunWithKeyAsync(sdkKey, "kill", "checkout-v2");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Auth), result.ToString);
        Assert.That(AdminKey().Matches(result.Stderr), Has.Count.EqualTo(1), result.Stderr);
    }

    [Test]
    public async Task UnknownFlag_ReadAndWrite_SameMessage()
    {
        var env = await TestEnvironment.CreateAsync();

        var read = await env.RunAsync("get", "no-such-flag");
        var write = await env.RunAsync("kill", "no-such-flag");

        Assert.That(read.ExitCode, Is.EqualTo(ExitCodes.NotFound), read.ToString);
        Assert.That(write.ExitCode, Is.EqualTo(ExitCodes.NotFound), write.ToString);
        Assert.That(write.Stderr, Is.EqualTo(read.Stderr));
        Assert.That(read.Stderr, Does.StartWith($"flagkit: flag 'no-such-flag' does not exist in environment '{env.Name}'"));
    }

    // The printed commands quote only what needs it; these have nothing to quote.
    private static IEnumerable<string> Words(string commandLine) => commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex("admin key", RegexOptions.IgnoreCase)]
    private static partial Regex AdminKey();
}
