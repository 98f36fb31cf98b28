using System.Text.Json;
using FlagKit.Protocol.V1;
using FlagKit.Server.Releases;
using FlagKit.Server.Store;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Releases;

/// <summary>
/// Releases run end to end on a real server on loopback (real gRPC admin API, real SQLite file), driven by a
/// synthetic workload whose reports go into the server's inbox; only the clock is fake, so a 5-step release with
/// one-minute holds runs in seconds.
/// </summary>
public sealed class ReleaseRunnerTests
{
    private const string Env = TestFlagServer.Environment;
    private const string Flag = "checkout-v2";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private TestFlagServer _server = null!;
    private FakeTimeProvider _time = null!;
    private ReleaseNotificationRecorder _notified = null!;

    [SetUp]
    public async Task StartServer()
    {
        _time = new FakeTimeProvider(Start);
        _notified = new ReleaseNotificationRecorder();
        _server = await TestFlagServer.StartAsync(configure: builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(_time);
            builder.Services.AddSingleton<IReleaseNotifier>(_notified);
        });
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag(Flag, 0)));
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task Release_TreatmentFailsMore_RollsBackByItselfAndHistorySaysWhy()
    {
        var release = await _server.Admin.StartReleaseAsync(Request());
        var workload = Workload(seed: 1);
        workload.TreatmentErrorRate = 0.03; // 3 % vs 1 %: under the 5 % ceiling, so the statistics decide

        var evaluations = await RunAsync(release.Id, workload, maxIntervals: 30);

        var info = await Get(release.Id);
        Assert.That(info.Status, Is.EqualTo(ReleaseRunStatus.RolledBack), info.Summary);
        Assert.That(evaluations, Is.LessThanOrEqualTo(12), "rolled back within the first 2 minutes (the first step's hold is 1:00)");
        Assert.That(info.TreatmentPercent, Is.Zero);
        Assert.That(info.Verdict, Is.EqualTo("harm"));
        Assert.That(workload.TreatmentPercent(), Is.Zero, "the flag serves the control to everyone");
        var last = (await History()).First();
        Assert.That(last.Author, Is.EqualTo($"release:{release.Id}"));
        Assert.That(last.Comment, Does.Match(@"^errors \d+\.\d % vs \d+\.\d %, \+\d+ %, [\d ]+ requests: rolled back to 0 %$"));
        Assert.That(last.Operation, Is.EqualTo($"release {release.Id}: on 0 %, off 100 %"));
        var audit = (await _server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env, Limit = 1 })).Entries.Single();
        Assert.That((audit.Actor, audit.Action, audit.Target), Is.EqualTo(($"release:{release.Id}", "SetRollout", Flag)));
        Assert.That(audit.Detail, Does.StartWith(last.Comment));
        Assert.That(info.Events.Select(e => e.Kind), Is.EqualTo(new[] { "started", "rolledback" }));
        Assert.That(_notified.Received.Select(n => (n.Kind, n.ReleaseId, n.Percent)), Is.EqualTo(new[] { (ReleaseNotificationKind.RolledBack, release.Id, 0) }));
        Assert.That(_notified.Received[0].Summary, Is.EqualTo(last.Comment));
    }

    [Test]
    public async Task Release_HealthyTreatment_GoesThroughEveryStepToOneHundredAndCompletes()
    {
        var release = await _server.Admin.StartReleaseAsync(Request());
        var workload = Workload(seed: 2);

        await RunAsync(release.Id, workload, maxIntervals: 60);

        var info = await Get(release.Id);
        Assert.That(info.Status, Is.EqualTo(ReleaseRunStatus.Completed), info.Summary);
        Assert.That(info.TreatmentPercent, Is.EqualTo(100));
        Assert.That(workload.TreatmentPercent(), Is.EqualTo(100));
        var writes = (await History()).Where(h => h.Author == $"release:{release.Id}").Reverse().ToList();
        Assert.That(writes.Select(w => w.Operation), Is.EqualTo(new[] { 1, 5, 25, 50, 100 }.Select(p => $"release {release.Id}: on {p} %, off {100 - p} %")));
        Assert.That(writes[0].Comment, Does.StartWith($"release {release.Id} started by bootstrap admin: on vs off, steps 1, 5, 25, 50, 100 %, hold 1:00"));
        Assert.That(writes[1].Comment, Does.StartWith("no harm shown at 1 % (errors").And.EndWith("advanced to 5 %"));
        Assert.That(writes[^1].Comment, Does.EndWith("completed at 100 %"));
        Assert.That(info.Events.Select(e => (e.Kind, e.Percent)), Is.EqualTo(new[] { ("started", 1), ("advanced", 5), ("advanced", 25), ("advanced", 50), ("completed", 100) }));
        Assert.That(_notified.Received.Select(n => n.Kind), Is.EqualTo(new[]
        {
            ReleaseNotificationKind.StepAdvanced, ReleaseNotificationKind.StepAdvanced, ReleaseNotificationKind.StepAdvanced, ReleaseNotificationKind.Completed,
        }));
        Assert.That(_server.GetService<ReleaseReportInbox>().IsWatched(Env, Flag), Is.False, "an ended release stops collecting reports");
    }

    [Test]
    public async Task Release_SomeoneElseChangesTheFlag_PausesAndNeverWritesOverIt()
    {
        var release = await _server.Admin.StartReleaseAsync(Request());
        var workload = Workload(seed: 3);
        await RunAsync(release.Id, workload, maxIntervals: 3);

        await _server.Admin.SetRolloutAsync(new SetRolloutRequest
        {
            Environment = Env, Key = Flag, Percent = 2, Variant = "on", Options = new FlagKit.Protocol.V1.WriteOptions { Comment = "hand-tuned" },
        });
        await WaitAsync(async () => (await Get(release.Id)).Status == ReleaseRunStatus.Paused);
        for (var i = 0; i < 12; i++)
        {
            workload.PostInterval();
            _time.Advance(Interval); // well past the step's hold: a running release would have advanced
        }

        await Task.Delay(200);

        var info = await Get(release.Id);
        Assert.That((info.Status, info.PauseReason), Is.EqualTo((ReleaseRunStatus.Paused, "flagchanged")));
        Assert.That(info.Summary, Does.StartWith("flag changed by bootstrap admin (revision "));
        Assert.That(workload.TreatmentPercent(), Is.EqualTo(2), "the human's share stands");
        Assert.That((await History()).First().Author, Is.EqualTo("bootstrap admin"));
        Assert.That(_notified.Received.Select(n => n.Kind), Is.EqualTo(new[] { ReleaseNotificationKind.Paused }));
    }

    [Test]
    public async Task Release_KillRollback_KillsTheFlagOnCeilingBreach()
    {
        var request = Request();
        request.Rollback = ReleaseRollback.Kill;
        var release = await _server.Admin.StartReleaseAsync(request);
        var workload = Workload(seed: 4);
        workload.TreatmentErrorRate = 0.5;

        var evaluations = await RunAsync(release.Id, workload, maxIntervals: 5);

        Assert.That(evaluations, Is.EqualTo(1), "the ceiling acts at the first interval");
        var flag = JsonDocument.Parse(Docs.Text((await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = Flag })).Json)).RootElement;
        Assert.That(flag.GetProperty("killed").GetBoolean(), Is.True);
        var last = (await History()).First();
        Assert.That((last.Author, last.Operation), Is.EqualTo(($"release:{release.Id}", $"release {release.Id}: killed")));
        Assert.That(last.Comment, Does.Contain("ceiling").And.EndWith("killed the flag"));
    }

    [Test]
    public async Task Release_ServerRestarts_ResumesItsStepClockAndFiguresFromTheStore()
    {
        var release = await _server.Admin.StartReleaseAsync(Request());
        var workload = Workload(seed: 5);
        await RunAsync(release.Id, workload, maxIntervals: 3); // 0:30 of the 1:00 hold
        var before = await Get(release.Id);
        Assert.That(before.TreatmentFigures.Requests, Is.GreaterThan(0));

        await _server.StopAsync();
        _time.Advance(TimeSpan.FromMinutes(10)); // down far longer than the hold
        await _server.RestartAsync();

        var resumed = await Get(release.Id);
        Assert.That(resumed.Status, Is.EqualTo(ReleaseRunStatus.Running));
        Assert.That(resumed.TreatmentFigures.Requests, Is.EqualTo(before.TreatmentFigures.Requests), "the step's figures survive");
        Assert.That(resumed.NextStepInMs, Is.EqualTo(30_000), "the hold resumes where it stopped: the outage is not counted as held");
        workload = Workload(seed: 6);
        await RunAsync(release.Id, workload, maxIntervals: 2);
        Assert.That((await Get(release.Id)).StepIndex, Is.Zero, "0:50 of the hold");
        await RunAsync(release.Id, workload, maxIntervals: 1);
        var advanced = await Get(release.Id);
        Assert.That((advanced.StepIndex, advanced.TreatmentPercent), Is.EqualTo((1, 5)), advanced.Summary);
    }

    [Test]
    public async Task Release_StoreRefusesTheSaveOfARollback_StaysRolledBackAndStoresItOnceTheStoreRecovers()
    {
        var release = await _server.Admin.StartReleaseAsync(Request());
        var workload = Workload(seed: 7);
        workload.TreatmentErrorRate = 0.5;
        var store = _server.GetService<IReleaseStore>();
        Sql("CREATE TRIGGER fault_release_save BEFORE UPDATE ON releases BEGIN SELECT RAISE(ABORT, 'injected fault'); END;");

        workload.PostInterval();
        _time.Advance(Interval);
        await WaitAsync(() => Task.FromResult(workload.TreatmentPercent() == 0));
        await WaitAsync(async () => (await Get(release.Id)).Status == ReleaseRunStatus.RolledBack);
        Assert.That(store.GetRelease(release.Id)!.Status, Is.EqualTo("running"), "the store refused the save");
        for (var i = 0; i < 12; i++)
        {
            workload.PostInterval();
            _time.Advance(Interval);
            await Task.Delay(20);
        }

        Assert.That(workload.TreatmentPercent(), Is.Zero, "the release did not run on from its unsaved state");
        Assert.That((await History()).Count(h => h.Author == $"release:{release.Id}"), Is.EqualTo(2), "the first step, then the rollback");
        Sql("DROP TRIGGER fault_release_save;");
        _time.Advance(Interval);
        await WaitAsync(() => Task.FromResult(store.GetRelease(release.Id)!.Status == "rolledback"));
        Assert.That(store.GetReleaseEvents(release.Id, 10).Select(e => e.Kind), Is.EqualTo(new[] { "started", "rolledback" }));
        Assert.That(store.GetRelease(release.Id)!.Active, Is.False);
    }

    [Test]
    public async Task StartRelease_FlagAlreadyHasOne_RefusedAlreadyExists()
    {
        var first = await _server.Admin.StartReleaseAsync(Request());

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.StartReleaseAsync(Request()));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.AlreadyExists));
        Assert.That(error.Status.Detail, Does.Contain($"'{Flag}' already has an active release ({first.Id})"));
    }

    private void Sql(string sql)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_server.DataPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private ReleaseWorkload Workload(int seed) => new(_server, Flag, "on", "off", seed);

    private static ReleaseStartRequest Request()
    {
        var request = new ReleaseStartRequest
        {
            Environment = Env, Flag = Flag, Treatment = "on", Control = "off", HoldMs = 60_000, IntervalMs = (long)Interval.TotalMilliseconds,
        };
        request.Steps.AddRange([1, 5, 25, 50, 100]);
        return request;
    }

    /// <summary>
    /// One interval at a time: the workload posts its reports, the clock moves one interval (the runner's timer fires),
    /// and the evaluation is awaited (its state is saved with the fake time). Stops when the release stops running.
    /// </summary>
    /// <returns>The intervals evaluated.</returns>
    private async Task<int> RunAsync(long id, ReleaseWorkload workload, int maxIntervals)
    {
        var store = _server.GetService<IReleaseStore>();
        for (var i = 1; i <= maxIntervals; i++)
        {
            if (store.GetRelease(id)!.Status != "running")
            {
                return i - 1;
            }

            workload.PostInterval();
            _time.Advance(Interval);
            var now = _time.GetUtcNow();
            await WaitAsync(() => Task.FromResult(store.GetRelease(id)!.UpdatedAt >= now || store.GetRelease(id)!.Status != "running"));
        }

        return maxIntervals;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.Fail("The release did not get there within 20 s.");
            }

            await Task.Delay(5);
        }
    }

    private async Task<ReleaseInfo> Get(long id) =>
        await _server.Admin.GetReleaseAsync(new ReleaseGetRequest { Environment = Env, Id = id });

    private async Task<IReadOnlyList<HistoryEntry>> History() =>
        (await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = Flag, Limit = 50 })).Entries;
}
