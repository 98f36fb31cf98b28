using FlagKit.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WriteOptions = FlagKit.Protocol.V1.WriteOptions;

namespace FlagKit.Server.Tests.Scheduling;

/// <summary>
/// Freezes on a real server (fake clock): writes are refused naming the window and its end; a kill or a rollback gets
/// through with an override and a reason, recorded in history and audit; removing a freeze in force is break-glass too.
/// </summary>
public sealed class FreezeTests
{
    private const string Env = TestFlagServer.Environment;

    // Saturday 5 December 2026, 17:30 UTC = 18:30 in Rome.
    private static readonly DateTimeOffset SaturdayEvening = new(2026, 12, 5, 17, 30, 0, TimeSpan.Zero);
    private TestFlagServer _server = null!;
    private FakeTimeProvider _time = null!;

    [SetUp]
    public async Task StartServer()
    {
        // Before the 2026 daylight saving changes (the clock only moves forward).
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero));
        _server = await TestFlagServer.StartAsync(configure: builder => builder.Services.AddSingleton<TimeProvider>(_time));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag("new-lobby", 5)));
        await _server.Admin.FreezeAddAsync(new FreezeAddRequest { Window = Weekly("euro-final", "sat", "18:00", "23:00") });
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task SetRollout_DuringFreeze_RefusedNamingTheWindowAndItsEnd()
    {
        _time.SetUtcNow(SaturdayEvening);

        var e = Assert.ThrowsAsync<RpcException>(() => Ramp(25).ResponseAsync);

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(e.Status.Detail, Does.Contain("environment 'production' is frozen by 'euro-final' until 2026-12-05T23:00:00+01:00"));
        Assert.That((await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = "new-lobby" })).Version, Is.EqualTo(1));
        await Task.CompletedTask;
    }

    [Test]
    public async Task SetRollout_BeforeAndAfterFreeze_Applied()
    {
        var before = await Ramp(10);
        _time.SetUtcNow(new DateTimeOffset(2026, 12, 5, 22, 0, 0, TimeSpan.Zero));
        var after = await Ramp(25);

        Assert.That((before.Revision, after.Revision), Is.EqualTo((2L, 3L)));
    }

    [Test]
    public async Task Kill_DuringFreezeWithOverrideAndReason_AppliedAndRecordedAsBreakGlass()
    {
        _time.SetUtcNow(SaturdayEvening);

        var kill = await _server.Admin.SetFlagStateAsync(new SetFlagStateRequest
        {
            Environment = Env, Key = "new-lobby", Change = FlagStateChange.Kill,
            Options = new WriteOptions { Comment = "INC-7", FreezeOverride = true, FreezeOverrideReason = "payments failing" },
        });

        Assert.That(kill.Revision, Is.EqualTo(2));
        var history = await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = "new-lobby", Limit = 1 });
        Assert.That(history.Entries[0].Operation, Is.EqualTo("killed (break-glass: freeze 'euro-final' overridden: payments failing)"));
        var audit = await _server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env, Limit = 1 });
        Assert.That(audit.Entries[0].Action, Is.EqualTo("SetFlagState"));
        Assert.That(audit.Entries[0].Detail, Does.StartWith("[break-glass: freeze 'euro-final' overridden: payments failing] INC-7"));
    }

    [Test]
    public void Enable_DuringFreezeWithOverride_RefusedAsNotBreakGlass()
    {
        _time.SetUtcNow(SaturdayEvening);

        var e = Assert.ThrowsAsync<RpcException>(() => _server.Admin.SetFlagStateAsync(new SetFlagStateRequest
        {
            Environment = Env, Key = "new-lobby", Change = FlagStateChange.Enable,
            Options = new WriteOptions { FreezeOverride = true, FreezeOverrideReason = "want it" },
        }).ResponseAsync);

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(e.Status.Detail, Does.Contain("An override is only for a kill, a rollback or removing the freeze; SetFlagState waits"));
    }

    [Test]
    public void Kill_OverrideWithoutReason_RefusedAsInvalid()
    {
        _time.SetUtcNow(SaturdayEvening);

        var e = Assert.ThrowsAsync<RpcException>(() => _server.Admin.SetFlagStateAsync(new SetFlagStateRequest
        {
            Environment = Env, Key = "new-lobby", Change = FlagStateChange.Kill, Options = new WriteOptions { FreezeOverride = true },
        }).ResponseAsync);

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("freeze_override_reason"));
    }

    [Test]
    public async Task Rollback_DuringFreezeWithOverride_Applied()
    {
        await Ramp(50);
        _time.SetUtcNow(SaturdayEvening);

        var rollback = await _server.Admin.RollbackAsync(new RollbackRequest
        {
            Environment = Env, Key = "new-lobby", Kind = DocumentKind.Flag, ToRevision = 1,
            Options = new WriteOptions { FreezeOverride = true, FreezeOverrideReason = "ramp broke checkout" },
        });

        Assert.That(rollback.Revision, Is.EqualTo(3));
    }

    [Test]
    public async Task FreezeRemove_InForce_NeedsOverrideAndIsAudited()
    {
        _time.SetUtcNow(SaturdayEvening);
        var remove = new FreezeRemoveRequest { Environment = Env, Name = "euro-final" };

        var e = Assert.ThrowsAsync<RpcException>(() => _server.Admin.FreezeRemoveAsync(remove).ResponseAsync);
        remove.Options = new WriteOptions { FreezeOverride = true, FreezeOverrideReason = "match postponed" };
        await _server.Admin.FreezeRemoveAsync(remove);

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(e.Status.Detail, Does.Contain("Freeze 'euro-final' is in force until 2026-12-05T23:00:00+01:00"));
        Assert.That((await _server.Admin.FreezeListAsync(new FreezeListRequest { Environment = Env })).Freezes, Is.Empty);
        var audit = (await _server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env, Limit = 1 })).Entries[0];
        Assert.That((audit.Action, audit.Target), Is.EqualTo(("FreezeRemove", "freeze:euro-final")));
        Assert.That(audit.Detail, Does.Contain("break-glass").And.Contain("match postponed"));
        Assert.That((await Ramp(25)).Revision, Is.EqualTo(2), "writes go through again");
    }

    [Test]
    public async Task FreezeList_DuringAndBefore_ShowsActiveEndAndNextOccurrence()
    {
        _time.SetUtcNow(SaturdayEvening.AddHours(-1));
        var before = (await _server.Admin.FreezeListAsync(new FreezeListRequest { Environment = Env })).Freezes.Single();
        _time.SetUtcNow(SaturdayEvening);
        var during = (await _server.Admin.FreezeListAsync(new FreezeListRequest())).Freezes.Single();

        Assert.That(before.Active, Is.False);
        Assert.That(before.NextStart.ToDateTimeOffset(), Is.EqualTo(new DateTimeOffset(2026, 12, 5, 17, 0, 0, TimeSpan.Zero)));
        Assert.That(during.Active, Is.True);
        Assert.That(during.CurrentEnd.ToDateTimeOffset(), Is.EqualTo(new DateTimeOffset(2026, 12, 5, 22, 0, 0, TimeSpan.Zero)));
        Assert.That(during.NextStart.ToDateTimeOffset(), Is.EqualTo(new DateTimeOffset(2026, 12, 12, 17, 0, 0, TimeSpan.Zero)));
        Assert.That(during.Window.Days, Is.EqualTo(new[] { "sat" }));
    }

    [Test]
    public void FreezeAdd_SameNameTwice_AlreadyExists()
    {
        var e = Assert.ThrowsAsync<RpcException>(() => _server.Admin.FreezeAddAsync(new FreezeAddRequest { Window = Weekly("euro-final", "sun", "18:00", "23:00") }).ResponseAsync);

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.AlreadyExists));
    }

    [Test]
    public void FreezeAdd_UnknownZone_InvalidNamingTheField()
    {
        var window = Weekly("w", "sun", "18:00", "23:00");
        window.TimeZone = "Mars/Olympus";

        var e = Assert.ThrowsAsync<RpcException>(() => _server.Admin.FreezeAddAsync(new FreezeAddRequest { Window = window }).ResponseAsync);

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("FreezeWindow.time_zone 'Mars/Olympus'"));
    }

    [Test]
    public async Task Write_AcrossSpringForward_FrozenFromTheJumpUntilLocalEnd()
    {
        await _server.Admin.FreezeAddAsync(new FreezeAddRequest { Window = Weekly("night", "sun", "02:30", "04:00") });

        _time.SetUtcNow(new DateTimeOffset(2026, 3, 29, 0, 59, 0, TimeSpan.Zero));
        var before = await Ramp(10);
        _time.SetUtcNow(new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero));
        var e = Assert.ThrowsAsync<RpcException>(() => Ramp(20).ResponseAsync);
        _time.SetUtcNow(new DateTimeOffset(2026, 3, 29, 2, 0, 0, TimeSpan.Zero));
        var after = await Ramp(30);

        Assert.That(before.Revision, Is.EqualTo(2));
        Assert.That(e!.Status.Detail, Does.Contain("frozen by 'night' until 2026-03-29T04:00:00+02:00"));
        Assert.That(after.Revision, Is.EqualTo(3));
    }

    [Test]
    public async Task Write_InRepeatedHourOfFallBack_FrozenUntilSecondOccurrenceOfLocalEnd()
    {
        await _server.Admin.FreezeAddAsync(new FreezeAddRequest { Window = Weekly("night", "sun", "02:30", "02:45") });

        _time.SetUtcNow(new DateTimeOffset(2026, 10, 25, 1, 40, 0, TimeSpan.Zero));
        var e = Assert.ThrowsAsync<RpcException>(() => Ramp(20).ResponseAsync);
        _time.SetUtcNow(new DateTimeOffset(2026, 10, 25, 1, 45, 0, TimeSpan.Zero));
        var after = await Ramp(30);

        Assert.That(e!.Status.Detail, Does.Contain("frozen by 'night' until 2026-10-25T02:45:00+01:00"));
        Assert.That(after.Revision, Is.EqualTo(2));
    }

    [Test]
    public async Task SetRollout_FreezeFollowedByAnother_RefusalNamesTheEndOfTheLast()
    {
        var start = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        await _server.Admin.FreezeAddAsync(new FreezeAddRequest { Window = OneOff("first", start, start.AddHours(2)) });
        await _server.Admin.FreezeAddAsync(new FreezeAddRequest { Window = OneOff("second", start.AddHours(2), start.AddHours(3)) });
        _time.SetUtcNow(start.AddMinutes(30));

        var e = Assert.ThrowsAsync<RpcException>(() => Ramp(25).ResponseAsync);

        Assert.That(e!.Status.Detail, Does.Contain("frozen by 'first' until 2026-12-05T15:00:00+00:00"));
    }

    [Test]
    public async Task ApplyFileDryRun_DuringFreeze_Answers()
    {
        _time.SetUtcNow(SaturdayEvening);
        var export = await _server.Admin.ExportFileAsync(new ExportFileRequest { Environment = Env });

        var dry = await _server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = Env, FileJson = export.FileJson, DryRun = true });

        Assert.That(dry.DryRun, Is.True);
    }

    private AsyncUnaryCall<WriteResponse> Ramp(double percent) =>
        _server.Admin.SetRolloutAsync(new SetRolloutRequest { Environment = Env, Key = "new-lobby", Percent = percent, Variant = "on" });

    private static FreezeWindow OneOff(string name, DateTimeOffset start, DateTimeOffset end) => new()
    {
        Environment = Env, Name = name,
        Start = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(start), End = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(end),
    };

    internal static FreezeWindow Weekly(string name, string days, string start, string end)
    {
        var window = new FreezeWindow { Environment = Env, Name = name, LocalStart = start, LocalEnd = end, TimeZone = "Europe/Rome" };
        window.Days.AddRange(days.Split(','));
        return window;
    }
}
