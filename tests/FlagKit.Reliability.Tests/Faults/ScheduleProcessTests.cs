using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using Google.Protobuf;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>
/// Scheduled changes and freezes end to end: the real server as a process (killed hard and started again) and the
/// real <c>flagkit</c> CLI.
/// </summary>
[TestFixture]
public sealed class ScheduleProcessTests
{
    private const string Env = TestFlagServer.Environment;

    [Test]
    public async Task ScheduledKill_ServerKilledBeforeDueAndStartedAfter_AppliedOnceAfterTheRestart()
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        await PutLobbyAsync(server);

        (int exit, string output) = await RunCliAsync(server.Address, "kill", "new-lobby", "--in", "3s", "-m", "night maintenance", "--json");
        long id = JsonDocument.Parse(output).RootElement.GetProperty("id").GetInt64();
        DateTimeOffset due = JsonDocument.Parse(output).RootElement.GetProperty("dueAt").GetDateTimeOffset();
        server.Kill();
        TimeSpan untilDue = due - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(0.5);
        if (untilDue > TimeSpan.Zero)
        {
            await Task.Delay(untilDue);
        }

        await server.StartAgainAsync();
        ScheduledChangeInfo applied = await WaitForAsync(server, id, ScheduleState.Applied);

        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(applied.AppliedRevision, Is.EqualTo(2));
        GetHistoryResponse history = await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = "new-lobby", Limit = 5 });
        Assert.That(history.Entries.Select(h => h.Revision), Is.EqualTo(new[] { 2L, 1L }), "applied once");
        Assert.That(history.Entries[0].Operation, Does.StartWith($"killed (scheduled change #{id} by bootstrap admin, due "));
        Assert.That(history.Entries[0].Time.ToDateTimeOffset(), Is.GreaterThanOrEqualTo(due), "not before its time");
    }

    [Test]
    public async Task Freeze_RefusesRampFromCli_LetsKillThroughWithOverrideAndReasonAudited()
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        await PutLobbyAsync(server);
        string from = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        string to = DateTimeOffset.UtcNow.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        (int addExit, string add) = await RunCliAsync(server.Address, "freeze", "add", "euro-final", "--start", from, "--end", to);
        (int rampExit, string ramp) = await RunCliAsync(server.Address, "rollout", "new-lobby", "25");
        (int killExit, string kill) = await RunCliAsync(server.Address, "kill", "new-lobby", "--override", "--reason", "payments failing", "-m", "INC-7");

        Assert.That(addExit, Is.EqualTo(0), add);
        Assert.That(rampExit, Is.EqualTo(4), ramp);
        Assert.That(ramp, Does.Contain("environment 'production' is frozen by 'euro-final' until "));
        Assert.That(killExit, Is.EqualTo(0), kill);
        DocumentRecord flag = await server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = "new-lobby" });
        Assert.That(flag.Version, Is.EqualTo(2), "the kill, not the ramp");
        Assert.That(flag.Json.ToStringUtf8(), Does.Contain("\"killed\": true").Or.Contain("\"killed\":true"));
        GetAuditResponse audit = await server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env, Limit = 1 });
        Assert.That(audit.Entries[0].Detail, Does.StartWith("[break-glass: freeze 'euro-final' overridden: payments failing] INC-7"));
    }

    private static async Task PutLobbyAsync(ServerProcess server) =>
        await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = Env,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8("""
                { "key": "new-lobby", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off",
                  "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 5 }, { "variant": "off", "weight": 95 } ] } } }
                """),
        });

    private static async Task<ScheduledChangeInfo> WaitForAsync(ServerProcess server, long id, ScheduleState state)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ScheduledChangeInfo info = await server.Admin.ScheduleGetAsync(new ScheduleGetRequest { Id = id });
            if (info.State == state || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.That(info.State, Is.EqualTo(state), $"change #{id}: {info.Note}\n{server.Output}");
                return info;
            }

            await Task.Delay(50);
        }
    }

    private static async Task<(int Exit, string Output)> RunCliAsync(Uri server, params string[] args)
    {
        string cli = typeof(ScheduleProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FlagKitCliPath").Value!;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(cli)!,
        };
        foreach (string arg in new[] { cli }.Concat(args).Concat(["--url", server.ToString(), "--key", TestFlagServer.AdminKey, "--env", Env]))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
