using FlagKit.Cli.Tests.Infrastructure;

namespace FlagKit.Cli.Tests;

/// <summary>The command line as a whole: help, usage errors, an unreachable server, settings from the environment.</summary>
[TestFixture]
public sealed class FlagKitCommandLineTests
{
    [Test]
    public async Task Help_Root_ListsEveryCommandAndTheExitCodes()
    {
        var result = await FlagKitProcess.RunAsync(["--help"]);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString);
        Assert.That(result.Stdout, Does.Contain("Usage:\n  flagkit [command] [options]").Or.Contain("Usage:\r\n  flagkit [command] [options]"));
        foreach (var command in new[] { "list", "get", "enable", "disable", "kill", "unkill", "rollout", "target", "archive", "history", "rollback", "diff", "apply", "export", "status", "env", "keys" })
        {
            Assert.That(result.Stdout, Does.Match($@"\n  {command}\b"), command);
        }

        foreach (var (code, meaning) in ExitCodes.Table)
        {
            Assert.That(result.Stdout, Does.Contain($"  {code}  {meaning}"));
        }
    }

    [TestCase(new[] { "frobnicate" }, "unknown command or argument 'frobnicate'")]
    [TestCase(new[] { "list", "--state", "sideways" }, "sideways")]
    [TestCase(new[] { "rollout", "checkout-v2", "101" }, "not a percentage from 0 to 100")]
    [TestCase(new[] { "kill" }, "kill takes a flag key or --tag, exactly one of them")]
    public async Task Run_BadCommandLine_ExitsUsageWithOneLineAndNoNetworkCall(string[] args, string expected)
    {
        // --url points nowhere: a usage error must be reported before any connection is attempted.
        var result = await FlagKitProcess.RunAsync([.. args, "--url", FlagKitProcess.ClosedPortUrl()]);

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), result.ToString);
        Assert.That(result.Stderr, Does.StartWith("flagkit: ").And.Contain(expected));
    }

    [Test]
    public async Task Run_ServerDown_ExitsUnreachableWithOneLineAndJsonError()
    {
        var url = FlagKitProcess.ClosedPortUrl();

        var result = await FlagKitProcess.RunAsync(["list", "--url", url, "--json"]);

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Unreachable), result.ToString);
        Assert.That(result.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(result.Stderr, Does.Contain($"cannot reach the flag server at {url}").And.Contain("--url / FLAGKIT_URL"));
        Assert.That(result.Stderr, Does.Not.Contain("   at "), "no stack trace");
        var error = result.Json().GetProperty("error");
        Assert.That(error.GetProperty("exitCode").GetInt32(), Is.EqualTo(ExitCodes.Unreachable));
        Assert.That(error.GetProperty("kind").GetString(), Is.EqualTo("unreachable"));
    }

    [Test]
    public async Task Run_SettingsFromVariablesAndConfigFile_VariablesWinOverFileAndFlagsOverBoth()
    {
        var environment = await TestEnvironment.CreateAsync();
        var config = TestEnvironment.WriteFile($$"""{ "url": "{{FlagKitProcess.ClosedPortUrl()}}", "key": "wrong-key", "environment": "no-such-env" }""", byteOrderMark: true);

        // Variables beat the config file: the right server, key and environment come from FLAGKIT_*.
        var fromVariables = await FlagKitProcess.RunAsync(
            ["list", "--json"],
            new Dictionary<string, string?>
            {
                ["FLAGKIT_CONFIG"] = config,
                ["FLAGKIT_URL"] = TestEnvironment.Url,
                ["FLAGKIT_KEY"] = FlagKit.Server.Tests.TestFlagServer.AdminKey,
                ["FLAGKIT_ENV"] = environment.Name,
            });
        // Flags beat variables: --env names the environment although FLAGKIT_ENV names another.
        var fromFlags = await FlagKitProcess.RunAsync(
            ["list", "--json", "--config", config, "--url", TestEnvironment.Url, "--env", environment.Name],
            new Dictionary<string, string?> { ["FLAGKIT_KEY"] = FlagKit.Server.Tests.TestFlagServer.AdminKey, ["FLAGKIT_ENV"] = "no-such-env" });

        Assert.That(fromVariables.ExitCode, Is.EqualTo(0), fromVariables.ToString);
        Assert.That(fromVariables.Json().GetProperty("environment").GetString(), Is.EqualTo(environment.Name));
        Assert.That(fromFlags.ExitCode, Is.EqualTo(0), fromFlags.ToString);
        Assert.That(fromFlags.Json().GetProperty("flags").GetArrayLength(), Is.EqualTo(4));
    }
}
