using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;

namespace FlagKit.Server.Tests.Releases;

/// <summary>
/// Release steps wait for freezes (issue 15): on a real server with a fake clock, a healthy release that is due to
/// advance during a freeze holds and says what it waits for, then advances once the freeze ends; harm during a freeze
/// still rolls back, as break-glass recorded in history and audit.
/// </summary>
public sealed class ReleaseFreezeTests
{
    private const string Env = TestFlagServer.Environment;
    private const string Flag = "checkout-v2";
    private const string Window = "deploy-stop";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private TestFlagServer _server = null!;
    private FakeTimeProvider _time = null!;

    [SetUp]
    public async Task StartServer()
    {
        _time = new FakeTimeProvider(Start);
        _server = await TestFlagServer.StartAsync(configure: builder => builder.Services.AddSingleton<TimeProvider>(_time));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag(Flag, 0)));
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task Release_StepDueDuringFreeze_HoldsSayingWhyThenAdvancesWhenItEnds()
    {
        var release = await _server.Admin.StartReleaseAsync(Request());
        await Freeze(Start.AddSeconds(30), Start.AddMinutes(5));
        var workload = new ReleaseWorkload(_server, Flag, "on", "off", seed: 21);

        await RunAsync(release.Id, workload, intervals: 12); // 2:00, twice the step's 1:00 hold

        var held = await Get(release.Id);
        Assert.That((held.Status, held.StepIndex, held.TreatmentPercent), Is.EqualTo((ReleaseRunStatus.Running, 0, 1)), held.Summary);
        Assert.That(held.Summary, Does.StartWith("no harm shown at 1 % (errors").And.EndWith($"waiting for freeze '{Window}' until 2026-12-01T09:05:00+00:00 to advance"));
        Assert.That(workload.TreatmentPercent(), Is.EqualTo(1), "no write during the freeze");

        await RunAsync(release.Id, workload, intervals: 19); // 5:10: the freeze ended at 5:00

        var advanced = await Get(release.Id);
        Assert.That((advanced.StepIndex, advanced.TreatmentPercent), Is.EqualTo((1, 5)), advanced.Summary);
        Assert.That(workload.TreatmentPercent(), Is.EqualTo(5));
        var write = (await History()).First();
        Assert.That(write.Author, Is.EqualTo($"release:{release.Id}"));
        Assert.That(write.Comment, Does.EndWith("advanced to 5 %"));
    }

    [Test]
    public async Task Release_HarmDuringFreeze_RolledBackAsBreakGlassWithTheFigures()
    {
        var release = await _server.Admin.StartReleaseAsync(Request());
        await Freeze(Start, Start.AddMinutes(5));
        var workload = new ReleaseWorkload(_server, Flag, "on", "off", seed: 22) { TreatmentErrorRate = 0.5 };

        await RunAsync(release.Id, workload, intervals: 1);

        var info = await Get(release.Id);
        Assert.That(info.Status, Is.EqualTo(ReleaseRunStatus.RolledBack), info.Summary);
        Assert.That(workload.TreatmentPercent(), Is.Zero);
        var write = (await History()).First();
        var note = $"break-glass: freeze '{Window}' overridden: release {release.Id}: {info.Summary}";
        Assert.That(write.Operation, Is.EqualTo($"release {release.Id}: on 0 %, off 100 % ({note})"));
        var audit = (await _server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env, Limit = 1 })).Entries.Single();
        Assert.That((audit.Actor, audit.Action), Is.EqualTo(($"release:{release.Id}", "SetRollout")));
        Assert.That(audit.Detail, Does.StartWith($"[{note}] {info.Summary}"));
    }

    [Test]
    public async Task PromoteRelease_DuringFreeze_RefusedNamingTheFreezeAndTheReleaseRunsOn()
    {
        var release = await _server.Admin.StartReleaseAsync(Request());
        await Freeze(Start, Start.AddMinutes(5));

        var error = Assert.ThrowsAsync<RpcException>(async () =>
            await _server.Admin.PromoteReleaseAsync(new ReleaseControlRequest { Environment = Env, Id = release.Id }));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(error.Status.Detail, Does.Contain($"during freeze '{Window}' until 2026-12-01T09:05:00+00:00"));
        var info = await Get(release.Id);
        Assert.That((info.Status, info.TreatmentPercent), Is.EqualTo((ReleaseRunStatus.Running, 1)));
    }

    private async Task Freeze(DateTimeOffset start, DateTimeOffset end) =>
        await _server.Admin.FreezeAddAsync(new FreezeAddRequest
        {
            Window = new FreezeWindow { Environment = Env, Name = Window, Start = Timestamp.FromDateTimeOffset(start), End = Timestamp.FromDateTimeOffset(end) },
        });

    private static ReleaseStartRequest Request()
    {
        var request = new ReleaseStartRequest { Environment = Env, Flag = Flag, Treatment = "on", Control = "off", HoldMs = 60_000, IntervalMs = (long)Interval.TotalMilliseconds };
        request.Steps.AddRange([1, 5, 25, 50, 100]);
        return request;
    }

    /// <summary>Interval by interval: reports posted, the clock moved, the evaluation's save awaited.</summary>
    private async Task RunAsync(long id, ReleaseWorkload workload, int intervals)
    {
        var store = _server.GetService<IReleaseStore>();
        for (var i = 0; i < intervals && store.GetRelease(id)!.Status == "running"; i++)
        {
            workload.PostInterval();
            _time.Advance(Interval);
            var now = _time.GetUtcNow();
            var deadline = System.Diagnostics.Stopwatch.StartNew();
            while (store.GetRelease(id)!.UpdatedAt < now && store.GetRelease(id)!.Status == "running")
            {
                Assert.That(deadline.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "the evaluation did not finish");
                await Task.Delay(5);
            }
        }
    }

    private async Task<ReleaseInfo> Get(long id) => await _server.Admin.GetReleaseAsync(new ReleaseGetRequest { Environment = Env, Id = id });

    private async Task<IReadOnlyList<HistoryEntry>> History() =>
        (await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = Flag, Limit = 50 })).Entries;
}
