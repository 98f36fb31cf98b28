using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Sources;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace FlagKit.Server.Tests.Sync;

/// <summary>Operating modes from the admin API through the real server's sync stream to the real SDK (and to older SDKs).</summary>
public sealed class ModeSyncTests
{
    private const string Env = TestFlagServer.Environment;
    private static readonly EvaluationContext Eu = new() { Region = "eu" };
    private static readonly EvaluationContext Us = new() { Region = "us" };
    private TestFlagServer? _server;
    private readonly List<IAsyncDisposable> _disposables = [];

    [TearDown]
    public async Task TearDown()
    {
        foreach (var d in _disposables)
        {
            await d.DisposeAsync();
        }

        _disposables.Clear();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Test]
    public async Task SetModeSwitch_ReadOnlyForARegion_ReachesConnectedAndNewSdks()
    {
        _server = await TestFlagServer.StartAsync();
        var connected = await ConnectSdkAsync();

        var until = DateTimeOffset.UtcNow.AddHours(1);
        var write = await _server.Admin.SetModeSwitchAsync(new ModeSwitchRequest
        {
            Environment = Env, Mode = "read-only", On = true, Scope = { new ModeScopeTerm { Attribute = "region", Values = { "eu" } } },
            Until = Timestamp.FromDateTimeOffset(until), Comment = "db failover",
        });

        Assert.That((write.Changed, write.Version), Is.EqualTo((true, 1L)));
        Assert.That(write.Summary, Does.StartWith("read-only on for region=eu until "));
        await SyncWait.UntilAsync(() => connected.IsReadOnly(Eu), "the connected SDK to see read-only");
        Assert.That(connected.IsReadOnly(Us), Is.False);
        Assert.That(connected.GetMode(Eu).Until, Is.EqualTo(until).Within(TimeSpan.FromMilliseconds(1)));
        var late = await ConnectSdkAsync();
        Assert.That(late.IsReadOnly(Eu), Is.True, "a new SDK gets the modes in Welcome, before its first batch completes its start");
    }

    [Test]
    public async Task ModeWrites_AreInHistoryAndAudit()
    {
        _server = await TestFlagServer.StartAsync();
        await _server.Admin.SetModeSwitchAsync(new ModeSwitchRequest { Environment = Env, Mode = "read-only", On = true, Comment = "INC-9" });
        var scheduled = await _server.Admin.ScheduleMaintenanceAsync(new MaintenanceScheduleRequest
        {
            Environment = Env, Start = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)),
            End = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(2)), Message = "db upgrade",
        });
        await _server.Admin.CancelMaintenanceAsync(new MaintenanceCancelRequest { Environment = Env, Id = scheduled.Id, Comment = "moved" });

        var history = await _server.Admin.GetModeHistoryAsync(new ModeHistoryRequest { Environment = Env });
        var audit = await _server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env });

        Assert.That(scheduled.Id, Is.EqualTo("mw-2"));
        Assert.That(history.Entries.Select(e => (e.Version, e.Action)), Is.EqualTo(new[] { (3L, "CancelMaintenance"), (2L, "ScheduleMaintenance"), (1L, "SetModeSwitch") }));
        Assert.That(history.Entries[2].Comment, Is.EqualTo("INC-9"));
        Assert.That(history.Entries[0].Summary, Does.StartWith("window mw-2 cancelled"));
        Assert.That(audit.Entries.Select(a => a.Action), Does.Contain("SetModeSwitch").And.Contain("ScheduleMaintenance").And.Contain("CancelMaintenance"));
    }

    [Test]
    public async Task SetModeSwitch_UntilInThePast_IsRefusedNamingIt()
    {
        _server = await TestFlagServer.StartAsync();

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.SetModeSwitchAsync(new ModeSwitchRequest
        {
            Environment = Env, Mode = "read-only", On = true, Until = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
        }));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.StartWith("until: "));
        Assert.That((await _server.Admin.GetModesAsync(new ModeGetRequest { Environment = Env })).Version, Is.Zero);
    }

    [Test]
    public async Task ScheduleMaintenance_LongMessage_IsKeptAndTooLongIsRefusedNamingTheLimit()
    {
        _server = await TestFlagServer.StartAsync();
        var start = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1));
        var end = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(2));

        var kept = await _server.Admin.ScheduleMaintenanceAsync(new MaintenanceScheduleRequest { Environment = Env, Start = start, End = end, Message = new string('m', 900) });
        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.ScheduleMaintenanceAsync(
            new MaintenanceScheduleRequest { Environment = Env, Start = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1.5)), End = end, Message = new string('m', 1001) }));

        Assert.That(Encoding.UTF8.GetString(kept.Json.Span), Does.Contain(new string('m', 900)));
        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.Contain("$.windows[1].message: 1001 characters; the limit is 1000"));
    }

    [Test]
    public async Task Modes_AfterRestart_ArriveInWelcome()
    {
        _server = await TestFlagServer.StartAsync();
        await _server.Admin.SetModeSwitchAsync(new ModeSwitchRequest { Environment = Env, Mode = "maintenance", On = true });

        await _server.RestartAsync();
        using var stream = await OpenRawAsync(modes: true);
        var welcome = (await stream.ReadAsync())!.Welcome;

        Assert.That(welcome.Mode.Version, Is.EqualTo(1));
        Assert.That(Encoding.UTF8.GetString(welcome.Mode.Json.Span), Does.Contain("\"maintenance\""));
    }

    [Test]
    public async Task OlderSdk_WithoutModeSchemas_GetsNoModesAndSyncsAsBefore()
    {
        _server = await TestFlagServer.StartAsync();
        await _server.Admin.SetModeSwitchAsync(new ModeSwitchRequest { Environment = Env, Mode = "read-only", On = true });
        using var stream = await OpenRawAsync(modes: false);
        var (welcome, _) = await stream.ReadWelcomeAndFirstBatchAsync();

        await _server.Admin.SetModeSwitchAsync(new ModeSwitchRequest { Environment = Env, Mode = "maintenance", On = true });
        var write = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("after-modes", on: true)));
        var batch = await stream.ReadBatchAsync();

        Assert.That(welcome.Mode, Is.Null);
        Assert.That(batch.Select(m => m.KindCase), Is.EqualTo(new[] { SyncResponse.KindOneofCase.Delta, SyncResponse.KindOneofCase.Transferred }));
        Assert.That(batch[^1].Transferred.Revision, Is.EqualTo(write.Revision));
    }

    [Test]
    public async Task ModeChange_QueuedBehindALargeDelta_IsSentBeforeTheDeltaEnds()
    {
        _server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:BatchChunkBytes"] = "16384", ["FlagKit:Server:MaxDocumentBytes"] = "16384" });
        using var stream = await OpenRawAsync(modes: true);
        await stream.ReadWelcomeAndFirstBatchAsync();

        // About 6 MB in 16 KB messages: far more than the transport buffers while the stream is not read.
        var padding = new string('x', 15_000);
        var file = "{ \"schema\": 1, \"flags\": [" + string.Join(",", Enumerable.Range(0, 400).Select(i => Docs.BoolFlag($"big-{i:000}").Replace("\"kind\"", $"\"description\": \"{padding}\", \"kind\"", StringComparison.Ordinal))) + "] }";
        await _server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = Env, FileJson = Google.Protobuf.ByteString.CopyFromUtf8(file) });
        await _server.Admin.SetModeSwitchAsync(new ModeSwitchRequest { Environment = Env, Mode = "read-only", On = true });

        var kinds = new List<SyncResponse.KindOneofCase>();
        while (kinds.Count == 0 || kinds[^1] != SyncResponse.KindOneofCase.Transferred)
        {
            kinds.Add((await stream.ReadSkippingHeartbeatsAsync())!.KindCase);
        }

        var modeAt = kinds.IndexOf(SyncResponse.KindOneofCase.Mode);
        Assert.That(kinds.Count(k => k == SyncResponse.KindOneofCase.Delta), Is.GreaterThan(300));
        Assert.That(modeAt, Is.GreaterThanOrEqualTo(0).And.LessThan(kinds.Count / 2), $"the mode came at message {modeAt} of {kinds.Count}");
    }

    private async Task<FlagClient> ConnectSdkAsync()
    {
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions { ServerUrl = _server!.Address, ApiKey = TestFlagServer.SdkKey, Environment = Env });
        var client = new FlagClient(source);
        _disposables.Add(client);
        await client.StartAsync();
        await client.WaitUntilReadyAsync().WaitAsync(SyncWait.Deadline);
        return client;
    }

    private Task<SyncStream> OpenRawAsync(bool modes) =>
        SyncStream.OpenAsync(_server!.CreateSyncClient(), modeSchemas: modes ? [1] : null);
}
