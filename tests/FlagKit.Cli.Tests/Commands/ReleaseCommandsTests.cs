using FlagKit.Cli.Tests.Infrastructure;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests.Releases;
using Google.Protobuf;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>
/// <c>flagkit release …</c> as the real process, against the real server, with a synthetic workload posting SDK
/// reports into the server's inbox in real time (short holds and intervals, so a whole release takes seconds).
/// </summary>
[TestFixture]
public sealed class ReleaseCommandsTests
{
    private const string Flag = "checkout-v2";

    [Test]
    public async Task StartWait_HealthyTreatment_FollowsEveryStepToCompletedExitZero()
    {
        var env = await EnvironmentWithFlagAsync();
        await using var workload = Traffic(env, treatmentErrorRate: 0.01);

        var run = await env.RunAsync("release", "start", Flag, "--steps", "1,5,25,50,100", "--hold", "1s", "--interval", "200ms",
            "--min-sample", "200", "--max-error-increase", "10%", "--max-latency-increase", "20%", "--wait");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString);
        Assert.That(run.Stdout, Does.Contain($"started release ").And.Contain($"of '{Flag}' at 1 %."));
        Assert.That(run.Stdout, Does.Contain("advanced to 5 %").And.Contain("advanced to 25 %").And.Contain("advanced to 50 %"));
        Assert.That(run.Stdout.TrimEnd(), Does.Match(@"\] checkout-v2 release \d+: completed at 100 % \(step 5 of 5\): no harm shown at 50 % .*: completed at 100 %$"));
        var flag = await env.FlagAsync(Flag);
        Assert.That(flag.GetProperty("defaultRule").GetProperty("split").GetProperty("variants")[0].GetProperty("weight").GetDouble(), Is.EqualTo(100));
    }

    [Test]
    public async Task StartWait_FailingTreatment_RollsBackByItselfExitTen()
    {
        var env = await EnvironmentWithFlagAsync();
        await using var workload = Traffic(env, treatmentErrorRate: 0.3);

        var run = await env.RunAsync("release", "start", Flag, "--hold", "1s", "--interval", "200ms", "--min-sample", "200", "--wait", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.ReleaseRolledBack), run.ToString);
        var json = run.Json();
        Assert.That(json.GetProperty("status").GetString(), Is.EqualTo("rolled back"));
        Assert.That(json.GetProperty("treatmentPercent").GetInt32(), Is.Zero);
        Assert.That(json.GetProperty("verdict").GetString(), Is.EqualTo("harm"));
        Assert.That(json.GetProperty("summary").GetString(), Does.Contain("ceiling").And.EndWith("rolled back to 0 %"));
        Assert.That(run.Stderr, Does.Contain("rolled back at 0 %"), "the progress lines go to stderr with --json");
        var history = await env.RunAsync("history", Flag, "--limit", "1", "--json");
        var entry = history.Json().GetProperty("entries")[0];
        Assert.That(entry.GetProperty("author").GetString(), Is.EqualTo($"release:{json.GetProperty("id").GetInt64()}"));
    }

    [Test]
    public async Task Status_RunningRelease_ShowsFiguresVerdictAndNextStep()
    {
        var env = await EnvironmentWithFlagAsync();
        var start = await env.RunAsync("release", "start", Flag, "--hold", "10m", "--json");
        Assert.That(start.ExitCode, Is.EqualTo(0), start.ToString);

        var table = await env.RunAsync("release", "status");
        var detail = await env.RunAsync("release", "status", Flag);
        var json = (await env.RunAsync("release", "status", Flag, "--json")).Json();

        Assert.That(table.Stdout, Does.Match(@"ID\s+FLAG\s+STATUS\s+PERCENT\s+STEP\s+NEXT STEP\s+VERDICT").And.Match(@"checkout-v2\s+running\s+1 %\s+1/5\s+\d+:\d\d"));
        Assert.That(detail.Stdout, Does.Contain("status     running at 1 %, step 1 of 5 (1 → 5 → 25 → 50 → 100 %)")
            .And.Match(@"VARIANT\s+EXPOSURES\s+REQUESTS\s+ERRORS\s+ERROR RATE\s+P95\s+P99")
            .And.Contain("guards     errors +10 %, p95 +20 %, p99 +20 %; on harm roll back to 0 %"));
        Assert.That(json.GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(json.GetProperty("nextStepInSeconds").GetDouble(), Is.InRange(500, 600));
        Assert.That(json.GetProperty("treatmentFigures").GetProperty("variant").GetString(), Is.EqualTo("on"));
        Assert.That(json.GetProperty("guards").GetProperty("minimumSample").GetInt64(), Is.EqualTo(1000));
        Assert.That(json.GetProperty("events")[0].GetProperty("kind").GetString(), Is.EqualTo("started"));
    }

    [Test]
    public async Task PauseThenStatusWait_PausedRelease_ExitElevenAndResumeRunsAgain()
    {
        var env = await EnvironmentWithFlagAsync();
        await env.RunAsync("release", "start", Flag, "--hold", "10m");

        var pause = await env.RunAsync("release", "pause", Flag, "-m", "checking a dashboard");
        var wait = await env.RunAsync("release", "status", Flag, "--wait");
        var resume = await env.RunAsync("release", "resume", Flag, "--json");

        Assert.That(pause.ExitCode, Is.EqualTo(0), pause.ToString);
        Assert.That(pause.Stdout, Does.Contain("paused by bootstrap admin (checking a dashboard): paused at 1 %"));
        Assert.That(wait.ExitCode, Is.EqualTo(ExitCodes.ReleasePaused), wait.ToString);
        Assert.That(wait.Stdout, Does.Contain("checkout-v2 release").And.Contain(": paused (operator) at 1 %"));
        Assert.That(resume.Json().GetProperty("status").GetString(), Is.EqualTo("running"));
    }

    [Test]
    public async Task Abort_OffATerminalWithoutYes_RefusedThenAbortedWithYes()
    {
        var env = await EnvironmentWithFlagAsync();
        await env.RunAsync("release", "start", Flag, "--hold", "10m");

        var refused = await env.RunAsync("release", "abort", Flag);
        var running = (await env.RunAsync("release", "status", Flag, "--json")).Json();
        var aborted = await env.RunAsync("release", "abort", Flag, "--yes", "--json");
        var again = await env.RunAsync("release", "abort", Flag, "--yes");

        Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.Usage), refused.ToString);
        Assert.That(refused.Stderr, Does.Contain($"refusing to abort the release of '{Flag}' and serve its treatment to 0 % in '{env.Name}' without confirmation"));
        Assert.That(running.GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(aborted.ExitCode, Is.EqualTo(0), aborted.ToString);
        Assert.That(aborted.Json().GetProperty("status").GetString(), Is.EqualTo("aborted"));
        Assert.That(again.ExitCode, Is.EqualTo(ExitCodes.NotFound), again.ToString);
    }

    [Test]
    public async Task Start_BadValues_UsageOrInvalidNamingTheValue()
    {
        var env = await EnvironmentWithFlagAsync();

        var steps = await env.RunAsync("release", "start", Flag, "--steps", "1,x,100");
        var increase = await env.RunAsync("release", "start", Flag, "--max-error-increase", "lots");
        var hold = await env.RunAsync("release", "start", Flag, "--hold", "forever");
        var order = await env.RunAsync("release", "start", Flag, "--steps", "5,1,100", "--json");
        var twice = await env.RunAsync("release", "start", Flag);
        var second = await env.RunAsync("release", "start", Flag);

        Assert.That(steps.ExitCode, Is.EqualTo(ExitCodes.Usage), steps.ToString);
        Assert.That(steps.Stderr, Does.Contain("--steps entry 'x' is not a whole percentage"));
        Assert.That(increase.ExitCode, Is.EqualTo(ExitCodes.Usage), increase.ToString);
        Assert.That(increase.Stderr, Does.Contain("--max-error-increase 'lots' is not a percentage"));
        Assert.That(hold.ExitCode, Is.EqualTo(ExitCodes.Usage), hold.ToString);
        Assert.That(hold.Stderr, Does.Contain("--hold 'forever' is not a duration"));
        Assert.That(order.ExitCode, Is.EqualTo(ExitCodes.Invalid), order.ToString);
        Assert.That(order.Json().GetProperty("error").GetProperty("message").GetString(), Does.Contain("steps[1]: 1 is not above the step before (5)."));
        Assert.That(twice.ExitCode, Is.EqualTo(0), twice.ToString);
        Assert.That(second.ExitCode, Is.EqualTo(ExitCodes.Conflict), second.ToString);
        Assert.That(second.Stderr, Does.Contain("already has an active release"));
    }

    private static async Task<TestEnvironment> EnvironmentWithFlagAsync()
    {
        var env = await TestEnvironment.CreateAsync(file: null);
        const string Json = """
            { "key": "checkout-v2", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off",
              "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 0 }, { "variant": "off", "weight": 100 } ] } } }
            """;
        await TestEnvironment.Admin.PutDocumentAsync(new PutDocumentRequest { Environment = env.Name, Kind = DocumentKind.Flag, Json = ByteString.CopyFromUtf8(Json) });
        return env;
    }

    private static WorkloadLoop Traffic(TestEnvironment env, double treatmentErrorRate) =>
        new(new ReleaseWorkload(TestEnvironment.Server, Flag, "on", "off", seed: env.Name.GetHashCode(StringComparison.Ordinal))
        {
            Environment = env.Name, RequestsPerInterval = 4_000, TreatmentErrorRate = treatmentErrorRate,
        });

    /// <summary>Posts one round of reports every 50 ms of real time until disposed.</summary>
    private sealed class WorkloadLoop : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public WorkloadLoop(ReleaseWorkload workload) => _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                workload.PostInterval();
                await Task.Delay(50).ConfigureAwait(false);
            }
        });

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }
}
