using FlagKit.Protocol.V1;
using FlagKit.Server.Scheduling;
using FlagKit.Server.Store;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WriteOptions = FlagKit.Protocol.V1.WriteOptions;

namespace FlagKit.Server.Tests.Scheduling;

/// <summary>
/// Scheduled changes on a real server with a fake clock: applied when due, once (also when claimed again after a crash
/// mid-apply), late with a note or skipped past the grace after downtime, failing visibly when an edit conflicts,
/// waiting out a freeze; listed, changed and cancelled.
/// </summary>
public sealed class ScheduleTests
{
    private const string Env = TestFlagServer.Environment;
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 23, 0, 0, TimeSpan.Zero);
    private TestFlagServer _server = null!;
    private FakeTimeProvider _time = null!;

    [SetUp]
    public async Task StartServer()
    {
        _time = new FakeTimeProvider(Start);
        _server = await TestFlagServer.StartAsync(configure: builder => builder.Services.AddSingleton<TimeProvider>(_time));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag("new-lobby", 5)));
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task ScheduledKill_WhenDue_AppliedOnceWithScheduleInHistory()
    {
        var change = await Schedule(TimeSpan.FromHours(3), Kill("new-lobby", "night maintenance"));

        await Tick(TimeSpan.FromHours(3) - TimeSpan.FromSeconds(1));
        var early = await Get(change.Id);
        await Tick(TimeSpan.FromSeconds(1));
        var applied = await WaitFor(change.Id, ScheduleState.Applied);

        Assert.That(early.State, Is.EqualTo(ScheduleState.Pending));
        Assert.That(applied.AppliedRevision, Is.EqualTo(2));
        Assert.That(applied.Note, Is.Empty, "on time");
        var history = await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = "new-lobby", Limit = 5 });
        Assert.That(history.Entries.Select(h => h.Revision), Is.EqualTo(new[] { 2L, 1L }), "applied once");
        Assert.That(history.Entries[0].Operation, Is.EqualTo("killed (scheduled change #1 by bootstrap admin, due 2026-12-05T02:00:00+00:00)"));
        Assert.That(history.Entries[0].Author, Is.EqualTo("bootstrap admin"));
        Assert.That(history.Entries[0].Comment, Is.EqualTo("night maintenance"));
        Assert.That(history.Entries[0].Time.ToDateTimeOffset(), Is.EqualTo(Start.AddHours(3)));
    }

    [Test]
    public async Task ScheduledRollout_FlagEditedSinceScheduling_AppliesToTheCurrentFlag()
    {
        var change = await Schedule(TimeSpan.FromMinutes(10), new ScheduleChangeRequest
        {
            SetRollout = new SetRolloutRequest { Environment = Env, Key = "new-lobby", Percent = 25, Variant = "on" },
        });
        await _server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Key = "new-lobby", Change = FlagStateChange.Disable });

        await Tick(TimeSpan.FromMinutes(10));
        var applied = await WaitFor(change.Id, ScheduleState.Applied);

        Assert.That(applied.AppliedRevision, Is.EqualTo(3));
        var flag = await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = "new-lobby" });
        Assert.That(Docs.Text(flag.Json), Does.Contain("\"on\": false").Or.Contain("\"on\":false"), "the disable made since stays");
        Assert.That(Docs.Text(flag.Json), Does.Contain("25"));
    }

    [Test]
    public async Task ScheduledPut_DocumentChangedSinceScheduling_FailsVisiblyAndChangesNothing()
    {
        var change = await Schedule(TimeSpan.FromMinutes(10), new ScheduleChangeRequest { PutDocument = Docs.Put(Docs.SplitFlag("new-lobby", 50)) });
        await _server.Admin.SetRolloutAsync(new SetRolloutRequest { Environment = Env, Key = "new-lobby", Percent = 10, Variant = "on" });

        await Tick(TimeSpan.FromMinutes(10));
        var failed = await WaitFor(change.Id, ScheduleState.Failed);

        Assert.That(failed.Note, Does.Contain("Scheduled change #1 was written against revision 1").And.Contain("flag 'new-lobby' changed since (revision 2"));
        Assert.That((await _server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest())).Environments.Single().Revision, Is.EqualTo(2));
        var audit = (await _server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env, Limit = 1 })).Entries[0];
        Assert.That((audit.Action, audit.Target), Is.EqualTo(("ScheduledChangeFailed", "schedule #1")));
        Assert.That(audit.Detail, Does.Contain("changed since"));
    }

    [Test]
    public async Task ScheduledPut_NewFlagUntouched_Applied()
    {
        var change = await Schedule(TimeSpan.FromMinutes(1), new ScheduleChangeRequest { PutDocument = Docs.Put(Docs.BoolFlag("bonus", on: true)) });

        await Tick(TimeSpan.FromMinutes(1));

        Assert.That((await WaitFor(change.Id, ScheduleState.Applied)).AppliedRevision, Is.EqualTo(2));
    }

    [Test]
    public async Task ScheduledChange_DueInsideFreeze_WaitsUntilItEndsAndSaysSo()
    {
        var window = new FreezeWindow { Environment = Env, Name = "euro-final", Start = Timestamp.FromDateTimeOffset(Start.AddHours(1)), End = Timestamp.FromDateTimeOffset(Start.AddHours(4)) };
        await _server.Admin.FreezeAddAsync(new FreezeAddRequest { Window = window });
        var change = await Schedule(TimeSpan.FromHours(2), Kill("new-lobby", "planned"));

        await Tick(TimeSpan.FromHours(2));
        var waiting = await WaitFor(change.Id, ScheduleState.Pending, note: "waiting");
        await Tick(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        var stillWaiting = await Get(change.Id);
        await Tick(TimeSpan.FromSeconds(1));
        var applied = await WaitFor(change.Id, ScheduleState.Applied);

        Assert.That(change.Note, Is.EqualTo("due inside freeze 'euro-final': will wait until 2026-12-05T03:00:00+00:00"));
        Assert.That(waiting.Note, Is.EqualTo("waiting for freeze 'euro-final' until 2026-12-05T03:00:00+00:00"));
        Assert.That(stillWaiting.State, Is.EqualTo(ScheduleState.Pending));
        Assert.That(applied.Note, Does.StartWith("applied after waiting for a freeze"));
        var history = await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = "new-lobby", Limit = 1 });
        Assert.That(history.Entries[0].Time.ToDateTimeOffset(), Is.EqualTo(Start.AddHours(4)));
    }

    [Test]
    public async Task ScheduledChange_MissedWithinGraceWhileDown_AppliedLateWithNote()
    {
        var change = await Schedule(TimeSpan.FromMinutes(5), Kill("new-lobby", "planned"));
        await _server.StopAsync();

        _time.Advance(TimeSpan.FromMinutes(35));
        await _server.RestartAsync();
        await Tick(TimeSpan.Zero);
        var applied = await WaitFor(change.Id, ScheduleState.Applied);

        Assert.That(applied.Note, Is.EqualTo("applied 30m 0s late: the server was not running when it was due"));
        Assert.That(applied.AppliedRevision, Is.EqualTo(2));
    }

    [Test]
    public async Task ScheduledChange_MissedPastGraceWhileDown_SkippedAndAudited()
    {
        var change = await Schedule(TimeSpan.FromMinutes(5), Kill("new-lobby", "planned"));
        await _server.StopAsync();

        _time.Advance(TimeSpan.FromHours(2));
        await _server.RestartAsync();
        await Tick(TimeSpan.Zero);
        var skipped = await WaitFor(change.Id, ScheduleState.Skipped);

        Assert.That(skipped.Note, Does.Contain("1h 55m late, past the grace of 1h 0m (FlagKit:Server:ScheduleGrace)"));
        Assert.That((await _server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest())).Environments.Single().Revision, Is.EqualTo(1));
        var audit = (await _server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env, Limit = 1 })).Entries[0];
        Assert.That(audit.Action, Is.EqualTo("ScheduledChangeSkipped"));
    }

    [Test]
    public async Task ScheduledChange_ClaimedThenServerDiedAfterCommit_ClaimedAgainAndAppliedOnce()
    {
        var request = Kill("new-lobby", "planned");
        var change = await Schedule(TimeSpan.FromMinutes(1), request);
        // A server claimed it and committed the write (with the change's idempotency key), then died before recording it.
        var claimed = _server.GetService<IScheduleStore>().ClaimDueSchedule(Start.AddMinutes(1), ScheduleRunner.Lease);
        var crashed = request.SetFlagState.Clone();
        crashed.Options.IdempotencyKey = "schedule-1";
        await _server.Admin.SetFlagStateAsync(crashed);

        await Tick(TimeSpan.FromMinutes(1));
        var stillClaimed = await Get(change.Id);
        await Tick(ScheduleRunner.Lease);
        var applied = await WaitFor(change.Id, ScheduleState.Applied);

        Assert.That(claimed!.Id, Is.EqualTo(change.Id));
        Assert.That(stillClaimed.Note, Is.EqualTo("being applied"));
        Assert.That(applied.AppliedRevision, Is.EqualTo(2), "the stored answer of the first apply");
        Assert.That((await _server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest())).Environments.Single().Revision, Is.EqualTo(2), "applied once");
    }

    [Test]
    public async Task ScheduleUpdate_NewTime_AppliedThen()
    {
        var change = await Schedule(TimeSpan.FromHours(1), Kill("new-lobby", "planned"));

        var moved = await _server.Admin.ScheduleUpdateAsync(new ScheduleUpdateRequest { Id = change.Id, DueAt = Timestamp.FromDateTimeOffset(Start.AddHours(2)) });
        await Tick(TimeSpan.FromHours(1));
        var notYet = await Get(change.Id);
        await Tick(TimeSpan.FromHours(1));

        Assert.That(moved.DueAt.ToDateTimeOffset(), Is.EqualTo(Start.AddHours(2)));
        Assert.That(notYet.State, Is.EqualTo(ScheduleState.Pending));
        Assert.That((await WaitFor(change.Id, ScheduleState.Applied)).AppliedRevision, Is.EqualTo(2));
    }

    [Test]
    public async Task ScheduleUpdate_NewWrite_ReplacesIt()
    {
        var change = await Schedule(TimeSpan.FromHours(1), Kill("new-lobby", "planned"));

        var changed = await _server.Admin.ScheduleUpdateAsync(new ScheduleUpdateRequest
        {
            Id = change.Id,
            Change = new ScheduleChangeRequest { SetRollout = new SetRolloutRequest { Environment = Env, Key = "new-lobby", Percent = 40, Variant = "on" } },
        });

        Assert.That((changed.Rpc, changed.Description), Is.EqualTo(("SetRollout", "rollout to 40 % on")));
        Assert.That(changed.Request.SetRollout.Percent, Is.EqualTo(40));
    }

    [Test]
    public async Task ScheduleCancel_Pending_NeverApplied()
    {
        var change = await Schedule(TimeSpan.FromMinutes(10), Kill("new-lobby", "planned"));

        var cancelled = await _server.Admin.ScheduleCancelAsync(new ScheduleCancelRequest { Id = change.Id, Comment = "match moved" });
        await Tick(TimeSpan.FromMinutes(10));
        var again = Assert.ThrowsAsync<RpcException>(() => _server.Admin.ScheduleCancelAsync(new ScheduleCancelRequest { Id = change.Id }).ResponseAsync);

        Assert.That(cancelled.State, Is.EqualTo(ScheduleState.Cancelled));
        Assert.That(again!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(again.Status.Detail, Is.EqualTo("Scheduled change #1 is cancelled; only a pending change can be cancelled."));
        Assert.That((await _server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest())).Environments.Single().Revision, Is.EqualTo(1));
        var audit = (await _server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env, Limit = 1 })).Entries[0];
        Assert.That((audit.Action, audit.Target), Is.EqualTo(("ScheduleCancel", "schedule #1")));
    }

    [Test]
    public async Task ScheduleList_PendingAndFinished_PendingFirstFinishedOnRequest()
    {
        var first = await Schedule(TimeSpan.FromMinutes(1), Kill("new-lobby", "a"));
        var second = await Schedule(TimeSpan.FromHours(1), new ScheduleChangeRequest
        {
            SetFlagState = new SetFlagStateRequest { Environment = Env, Key = "new-lobby", Change = FlagStateChange.Unkill },
        });
        await Tick(TimeSpan.FromMinutes(1));
        await WaitFor(first.Id, ScheduleState.Applied);

        var pending = await _server.Admin.ScheduleListAsync(new ScheduleListRequest { Environment = Env });
        var all = await _server.Admin.ScheduleListAsync(new ScheduleListRequest { IncludeFinished = true });

        Assert.That(pending.Changes.Select(c => c.Id), Is.EqualTo(new[] { second.Id }));
        Assert.That(all.Changes.Select(c => c.Id), Is.EqualTo(new[] { second.Id, first.Id }));
    }

    [TestCase(-2, "is in the past")]
    [TestCase(24 * 400, "more than 366 days ahead")]
    public void ScheduleChange_DueOutOfRange_Invalid(int hours, string message)
    {
        var request = Kill("new-lobby", "x");
        request.DueAt = Timestamp.FromDateTimeOffset(Start.AddHours(hours));

        var e = Assert.ThrowsAsync<RpcException>(() => _server.Admin.ScheduleChangeAsync(request).ResponseAsync);

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain(message));
    }

    [Test]
    public void ScheduleChange_InvalidDocument_RefusedNow()
    {
        var request = new ScheduleChangeRequest
        {
            DueAt = Timestamp.FromDateTimeOffset(Start.AddHours(1)),
            PutDocument = new PutDocumentRequest { Environment = Env, Kind = DocumentKind.Flag, Json = ByteString.CopyFromUtf8("{ \"key\": ") },
        };

        var e = Assert.ThrowsAsync<RpcException>(() => _server.Admin.ScheduleChangeAsync(request).ResponseAsync);

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
    }

    private static ScheduleChangeRequest Kill(string key, string comment) => new()
    {
        SetFlagState = new SetFlagStateRequest { Environment = Env, Key = key, Change = FlagStateChange.Kill, Options = new WriteOptions { Comment = comment } },
    };

    private async Task<ScheduledChangeInfo> Schedule(TimeSpan @in, ScheduleChangeRequest request)
    {
        request.DueAt = Timestamp.FromDateTimeOffset(_time.GetUtcNow() + @in);
        return await _server.Admin.ScheduleChangeAsync(request);
    }

    private async Task<ScheduledChangeInfo> Get(long id) => await _server.Admin.ScheduleGetAsync(new ScheduleGetRequest { Id = id });

    /// <summary>Moves the fake clock and runs the due work (the server's own loop may take a change first: the store hands each to one).</summary>
    private async Task Tick(TimeSpan by)
    {
        _time.Advance(by);
        await _server.GetService<ScheduleRunner>().RunDueAsync(CancellationToken.None);
    }

    private async Task<ScheduledChangeInfo> WaitFor(long id, ScheduleState state, string note = "")
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var info = await Get(id);
            if ((info.State == state && info.Note.Contains(note, StringComparison.Ordinal) && info.Note != "being applied") || DateTime.UtcNow > deadline)
            {
                Assert.That(info.State, Is.EqualTo(state), $"change #{id}: {info.Note}");
                return info;
            }

            await Task.Delay(20);
        }
    }
}
