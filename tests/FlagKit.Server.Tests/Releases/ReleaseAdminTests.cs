using System.Text.Json;
using FlagKit.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Releases;

/// <summary>The release RPCs of the admin API on a real server: validation, authorization and the operator's commands.</summary>
public sealed class ReleaseAdminTests
{
    private const string Env = TestFlagServer.Environment;
    private const string Flag = "checkout-v2";
    private TestFlagServer _server = null!;
    private FakeTimeProvider _time = null!;

    [SetUp]
    public async Task StartServer()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        _server = await TestFlagServer.StartAsync(configure: builder => builder.Services.AddSingleton<TimeProvider>(_time));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag(Flag, 0)));
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public void StartRelease_InvalidPlan_InvalidArgumentNamingEveryFieldAndNothingStored()
    {
        var request = Request();
        request.Steps.Clear();
        request.Steps.AddRange([5, 1, 50]);
        request.IntervalMs = 120_000;
        request.MaxErrorIncreasePercent = -5;

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.StartReleaseAsync(request));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.StartWith("The release cannot start: ")
            .And.Contain("steps[1]: 1 is not above the step before (5).")
            .And.Contain("steps[2]: the last step must be 100, not 50.")
            .And.Contain("interval: 00:02:00 must be positive and at most the hold (00:01:00).")
            .And.Contain("guards.maxErrorRateIncrease: -0.05 is not in 0..10."));
        Assert.That(_server.Admin.ListReleases(new ReleaseListRequest { Environment = Env }).Releases, Is.Empty);
    }

    [TestCase(0, 0L, 10_000L, "hold_ms: 0 is not in 1..2592000000 (30 days).")]
    [TestCase(0, long.MaxValue, 10_000L, "hold_ms: 9223372036854775807 is not in 1..2592000000 (30 days).")]
    [TestCase(0, 60_000L, 5L, "interval_ms: 5 is not in 100..2592000000.")]
    [TestCase(101, 60_000L, 10_000L, "steps: 101 steps; the limit is 100.")]
    public void StartRelease_OutOfBounds_RefusedBeforeAnyWorkNamingTheField(int steps, long holdMs, long intervalMs, string expected)
    {
        var request = Request();
        request.HoldMs = holdMs;
        request.IntervalMs = intervalMs;
        if (steps > 0)
        {
            request.Steps.Clear();
            request.Steps.AddRange(Enumerable.Range(1, steps));
        }

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.StartReleaseAsync(request));

        Assert.That((error!.StatusCode, error.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, expected)));
    }

    [Test]
    public async Task StartRelease_UnknownVariantOrFlagOff_InvalidArgumentSayingWhich()
    {
        var request = Request();
        request.Treatment = "v3";
        var unknown = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.StartReleaseAsync(request));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("dark", on: false)));
        var off = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.StartReleaseAsync(Request(flag: "dark")));
        var missing = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.StartReleaseAsync(Request(flag: "nope")));

        Assert.That(unknown!.Status.Detail, Does.EndWith("treatment: flag 'checkout-v2' has no variant 'v3' (it has 'on', 'off')."));
        Assert.That(off!.Status.Detail, Does.Contain("flag: 'dark' is off"));
        Assert.That(missing!.Status.Detail, Does.Contain("flag: 'nope' does not exist in environment 'production'."));
        Assert.That(new[] { unknown.StatusCode, off.StatusCode, missing.StatusCode }, Is.All.EqualTo(StatusCode.InvalidArgument));
    }

    [Test]
    public void StartRelease_SdkKey_PermissionDenied()
    {
        var sdk = _server.CreateAdminClient(TestFlagServer.SdkKey);

        var error = Assert.ThrowsAsync<RpcException>(async () => await sdk.StartReleaseAsync(Request()));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
    }

    [Test]
    public async Task OperatorCommands_PausePromoteResumeAbort_EachWritesAsTheReleaseAndSaysWho()
    {
        var started = await _server.Admin.StartReleaseAsync(Request());
        Assert.That((started.Status, started.TreatmentPercent, started.NextStepInMs), Is.EqualTo((ReleaseRunStatus.Running, 1, 60_000L)));

        var paused = await _server.Admin.PauseReleaseAsync(Control(comment: "lunch"));
        Assert.That((paused.Status, paused.PauseReason, paused.Summary), Is.EqualTo((ReleaseRunStatus.Paused, "operator", "paused by bootstrap admin (lunch): paused at 1 %")));
        Assert.That(await Share(), Is.EqualTo(1), "a pause keeps the step's share");

        var promoted = await _server.Admin.PromoteReleaseAsync(Control(id: started.Id));
        Assert.That((promoted.Status, promoted.StepIndex, promoted.TreatmentPercent), Is.EqualTo((ReleaseRunStatus.Running, 1, 5)));
        Assert.That(await Share(), Is.EqualTo(5));

        var notPaused = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.ResumeReleaseAsync(Control()));
        Assert.That(notPaused!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(notPaused.Status.Detail, Is.EqualTo($"Release {started.Id} is running; only a paused release can be resumed."));

        // A human's change pauses it; resuming puts the step's share back.
        await _server.Admin.SetRolloutAsync(new SetRolloutRequest { Environment = Env, Key = Flag, Percent = 50, Variant = "on" });
        await WaitAsync(async () => (await Get()).Status == ReleaseRunStatus.Paused);
        var resumed = await _server.Admin.ResumeReleaseAsync(Control());
        Assert.That((resumed.Status, resumed.TreatmentPercent, resumed.TreatmentFigures.Requests), Is.EqualTo((ReleaseRunStatus.Running, 5, 0L)));
        Assert.That(await Share(), Is.EqualTo(5));

        var aborted = await _server.Admin.AbortReleaseAsync(Control(comment: "wrong build"));
        Assert.That((aborted.Status, aborted.TreatmentPercent), Is.EqualTo((ReleaseRunStatus.Aborted, 0)));
        Assert.That(await Share(), Is.Zero);
        var last = (await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = Flag, Limit = 1 })).Entries.Single();
        Assert.That((last.Author, last.Comment), Is.EqualTo(($"release:{started.Id}", "aborted by bootstrap admin (wrong build) at 5 %: rolled back to 0 %")));
        Assert.That(aborted.Events.Select(e => (e.Kind, e.Actor, e.Percent)), Is.EqualTo(new[]
        {
            ("started", "bootstrap admin", 1), ("paused", "bootstrap admin", 1), ("promoted", "bootstrap admin", 5),
            ("paused", $"release:{started.Id}", 5), ("resumed", "bootstrap admin", 5), ("aborted", "bootstrap admin", 0),
        }));

        var ended = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.AbortReleaseAsync(Control(id: started.Id)));
        Assert.That(ended!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        var none = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.AbortReleaseAsync(Control()));
        Assert.That(none!.StatusCode, Is.EqualTo(StatusCode.NotFound));
        Assert.That(_server.Admin.ListReleases(new ReleaseListRequest { Environment = Env, ActiveOnly = true }).Releases, Is.Empty);
        Assert.That((await Get()).Status, Is.EqualTo(ReleaseRunStatus.Aborted), "by flag: its newest release");
    }

    [Test]
    public async Task PromoteRelease_FromFifty_CompletesAtOneHundred()
    {
        var started = await _server.Admin.StartReleaseAsync(Request());
        for (var i = 0; i < 3; i++)
        {
            await _server.Admin.PromoteReleaseAsync(Control());
        }

        var done = await _server.Admin.PromoteReleaseAsync(Control());

        Assert.That((done.Status, done.TreatmentPercent), Is.EqualTo((ReleaseRunStatus.Completed, 100)));
        Assert.That(await Share(), Is.EqualTo(100));
        Assert.That(done.Events.Last().Summary, Is.EqualTo("promoted by bootstrap admin from 50 %: completed at 100 %"));
        Assert.That((await _server.Admin.StartReleaseAsync(Request())).Id, Is.GreaterThan(started.Id), "an ended release frees its flag");
    }

    private static ReleaseStartRequest Request(string flag = Flag)
    {
        var request = new ReleaseStartRequest { Environment = Env, Flag = flag, Treatment = "on", Control = "off", HoldMs = 60_000, IntervalMs = 10_000 };
        request.Steps.AddRange([1, 5, 25, 50, 100]);
        return request;
    }

    private static ReleaseControlRequest Control(long id = 0, string comment = "") =>
        new() { Environment = Env, Id = id, Flag = id == 0 ? Flag : "", Comment = comment };

    private async Task<ReleaseInfo> Get() => await _server.Admin.GetReleaseAsync(new ReleaseGetRequest { Environment = Env, Flag = Flag });

    private async Task<double> Share()
    {
        var json = JsonDocument.Parse(Docs.Text((await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = Flag })).Json)).RootElement;
        return json.GetProperty("defaultRule").GetProperty("split").GetProperty("variants").EnumerateArray()
            .Single(v => v.GetProperty("variant").GetString() == "on").GetProperty("weight").GetDouble();
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "waited too long");
            await Task.Delay(5);
        }
    }
}
