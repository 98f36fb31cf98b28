using System.Threading.Channels;
using FlagKit.Protocol.V1;
using FlagKit.Sources;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// The SDK's stream state machine against a scripted server that injects the faults a real server produces only
/// by accident: batches cut off, silence, refusals, resyncs, messages from a newer protocol.
/// </summary>
public sealed class GrpcFlagSourceTests
{
    private readonly List<IAsyncDisposable> _disposables = [];
    private volatile string? _lastStatusDetail;

    [TearDown]
    public async Task TearDown()
    {
        for (int i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        _disposables.Clear();
    }

    [Test]
    public async Task Start_SnapshotThenTransferred_PublishesReadyAndAcks()
    {
        var acks = Channel.CreateUnbounded<Ack>();
        ScriptedSyncServer server = await Start(async s =>
        {
            await s.WelcomeAsync(3);
            await s.SendAsync(SnapshotOf(3, Flag("checkout-v2", on: true), Flag("dark-mode", on: false)));
            await s.TransferredAsync(3);
            await acks.Writer.WriteAsync(await s.ReadAckAsync());
            await s.HoldAsync();
        });
        (FlagClient client, GrpcFlagSource source) = await Connect(server);

        Ack ack = await acks.Reader.ReadAsync().WithDeadline("the ack");
        Hello hello = await server.Hellos.Reader.ReadAsync().WithDeadline("the hello");

        Assert.That(ack.Revision, Is.EqualTo(3));
        Assert.That(ack.Failures, Is.Empty);
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(client.Snapshot.Revision, Is.EqualTo(3));
        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
        Assert.That(client.IsEnabled("dark-mode", defaultValue: true), Is.False);
        Assert.That(hello.SdkName, Is.EqualTo(GrpcFlagSource.SdkName));
        Assert.That(hello.InstanceId, Is.EqualTo(source.InstanceId));
        Assert.That(hello.Environment, Is.EqualTo("production"));
        Assert.That(hello.AppName, Is.EqualTo("scripted-tests"));
        Assert.That(hello.ProtocolVersions, Is.EqualTo(new[] { 1 }));
        Assert.That(hello.SchemaVersions, Is.EqualTo(new[] { 1 }));
        Assert.That(hello.LastRevision, Is.Zero);
    }

    [Test]
    public async Task Stream_BatchCutOffByDisconnect_IsDiscardedWholeAndResumedFromTheLastCompleteRevision()
    {
        FlagClient? observed = null;
        bool newFlagVisibleBeforeResume = true;
        var resumedAck = Channel.CreateUnbounded<Ack>();
        ScriptedSyncServer server = await Start(async s =>
        {
            if (s.Number == 1)
            {
                await s.WelcomeAsync(1);
                await s.SendAsync(SnapshotOf(1, Flag("a", on: true)));
                await s.TransferredAsync(1);
                await s.ReadAckAsync();
                // Half a batch: a delta with two changes, then the connection ends before Transferred.
                await s.SendAsync(DeltaOf(1, 2, upserts: [Flag("b", on: true), Flag("a", on: false)]));
                return;
            }

            newFlagVisibleBeforeResume = observed!.IsEnabled("b") || !observed.IsEnabled("a");
            await s.WelcomeAsync(2);
            await s.SendAsync(DeltaOf(1, 2, upserts: [Flag("b", on: true), Flag("a", on: false)]));
            await s.TransferredAsync(2);
            await resumedAck.Writer.WriteAsync(await s.ReadAckAsync());
            await s.HoldAsync();
        });
        (FlagClient client, GrpcFlagSource source) = await Connect(server);
        observed = client;

        Ack ack = await resumedAck.Reader.ReadAsync().WithDeadline("the ack after resuming");
        Hello first = await server.Hellos.Reader.ReadAsync().WithDeadline("the first hello");
        Hello second = await server.Hellos.Reader.ReadAsync().WithDeadline("the second hello");

        Assert.That(newFlagVisibleBeforeResume, Is.False, "no part of the cut-off batch was applied");
        Assert.That(first.LastRevision, Is.Zero);
        Assert.That(second.LastRevision, Is.EqualTo(1), "resumed from the last complete revision");
        Assert.That(ack.Revision, Is.EqualTo(2));
        Assert.That(client.IsEnabled("b"), Is.True);
        Assert.That(client.IsEnabled("a"), Is.False);
        Assert.That(source.Diagnostics.LastBatch!.Kind, Is.EqualTo(GrpcSyncBatchKind.Delta));
    }

    [Test]
    public async Task Stream_MessagesWithFieldsAndKindsFromANewerServer_AreAccepted()
    {
        var acks = Channel.CreateUnbounded<Ack>();
        ScriptedSyncServer server = await Start(async s =>
        {
            // Unknown field 99 on Welcome and on the envelope, and an unknown message kind (oneof field 50).
            await s.SendAsync(WithUnknownField(new SyncResponse { Welcome = new Welcome { ProtocolVersion = 1, SchemaVersion = 1, ServerId = "future", HeartbeatIntervalMs = 0 } }, nested: true));
            await s.SendAsync(SyncResponse.Parser.ParseFrom(Tagged(50, "a message kind from protocol v1.7")));
            await s.SendAsync(WithUnknownField(SnapshotOf(4, Flag("a", on: true)), nested: true));
            await s.SendAsync(WithUnknownField(new SyncResponse { Transferred = new Transferred { Revision = 4 } }, nested: false));
            await acks.Writer.WriteAsync(await s.ReadAckAsync());
            await s.HoldAsync();
        });
        (FlagClient client, _) = await Connect(server);

        Ack ack = await acks.Reader.ReadAsync().WithDeadline("the ack");

        Assert.That(ack.Revision, Is.EqualTo(4));
        Assert.That(client.IsEnabled("a"), Is.True);
        Assert.That(server.Sessions, Is.EqualTo(1), "no reconnect: nothing was treated as an error");
    }

    [Test]
    public async Task Stream_Resync_ReconnectsWithoutARevisionAndKeepsServingUntilTheNewSnapshot()
    {
        FlagClient? observed = null;
        bool servedDuringResync = false;
        var acks = Channel.CreateUnbounded<Ack>();
        ScriptedSyncServer server = await Start(async s =>
        {
            if (s.Number == 1)
            {
                await s.WelcomeAsync(5);
                await s.SendAsync(SnapshotOf(5, Flag("a", on: true)));
                await s.TransferredAsync(5);
                await s.ReadAckAsync();
                await s.SendAsync(new SyncResponse { Resync = new Resync { Reason = "you fell behind" } });
                await s.HoldAsync();
                return;
            }

            servedDuringResync = observed!.IsEnabled("a");
            await s.WelcomeAsync(9);
            await s.SendAsync(SnapshotOf(9, Flag("a", on: true), Flag("c", on: true)));
            await s.TransferredAsync(9);
            await acks.Writer.WriteAsync(await s.ReadAckAsync());
            await s.HoldAsync();
        });
        (FlagClient client, _) = await Connect(server);
        observed = client;

        Ack ack = await acks.Reader.ReadAsync().WithDeadline("the ack after resync");
        await server.Hellos.Reader.ReadAsync().WithDeadline("the first hello");
        Hello second = await server.Hellos.Reader.ReadAsync().WithDeadline("the second hello");

        Assert.That(second.LastRevision, Is.Zero);
        Assert.That(servedDuringResync, Is.True);
        Assert.That(ack.Revision, Is.EqualTo(9));
        Assert.That(client.IsEnabled("c"), Is.True);
    }

    [Test]
    public async Task Stream_SilentForThreeHeartbeats_IsTreatedAsDeadAndReconnects()
    {
        ScriptedSyncServer server = await Start(async s =>
        {
            await s.WelcomeAsync(1, heartbeatMs: 100);
            await s.SendAsync(SnapshotOf(1, Flag("a", on: true)));
            await s.TransferredAsync(1);
            await s.ReadAckAsync();
            await s.HoldAsync(); // silence: no heartbeat
        });
        (FlagClient client, GrpcFlagSource source) = await Connect(server);

        await server.Hellos.Reader.ReadAsync().WithDeadline("the first hello");
        Hello second = await server.Hellos.Reader.ReadAsync().WithDeadline("a reconnect after the missed heartbeats");

        Assert.That(second.LastRevision, Is.EqualTo(1));
        Assert.That(source.Diagnostics.LastDisconnect, Does.Contain("3 missed heartbeats"));
        Assert.That(client.IsEnabled("a"), Is.True, "the last snapshot keeps serving");
    }

    [Test]
    public async Task Stream_HeartbeatsKeepComing_StaysConnected()
    {
        var done = new TaskCompletionSource();
        ScriptedSyncServer server = await Start(async s =>
        {
            await s.WelcomeAsync(1, heartbeatMs: 60);
            await s.SendAsync(SnapshotOf(1, Flag("a", on: true)));
            await s.TransferredAsync(1);
            await s.ReadAckAsync();
            for (int i = 0; i < 10; i++)
            {
                await Task.Delay(40, s.Aborted);
                await s.SendAsync(new SyncResponse { Heartbeat = new Heartbeat { Revision = 1 } });
            }

            done.SetResult();
            await s.HoldAsync();
        });
        await Connect(server);

        await done.Task.WaitAsync(SyncWait.Deadline);

        Assert.That(server.Sessions, Is.EqualTo(1));
    }

    [Test]
    public async Task Stream_GoingAwayThenNothingMissed_ReconnectsAndConfirmsTheHeldRevision()
    {
        var acks = Channel.CreateUnbounded<Ack>();
        ScriptedSyncServer server = await Start(async s =>
        {
            if (s.Number == 1)
            {
                await s.WelcomeAsync(7);
                await s.SendAsync(SnapshotOf(7, Flag("a", on: true)));
                await s.TransferredAsync(7);
                await s.ReadAckAsync();
                await s.SendAsync(new SyncResponse { GoingAway = new GoingAway { Reason = "shutting down" } });
                return;
            }

            await s.WelcomeAsync(7);
            await s.TransferredAsync(7);
            await acks.Writer.WriteAsync(await s.ReadAckAsync());
            await s.HoldAsync();
        });
        (FlagClient client, GrpcFlagSource source) = await Connect(server);

        Ack ack = await acks.Reader.ReadAsync().WithDeadline("the ack after reconnecting");
        await server.Hellos.Reader.ReadAsync().WithDeadline("the first hello");
        Hello second = await server.Hellos.Reader.ReadAsync().WithDeadline("the second hello");

        Assert.That(second.LastRevision, Is.EqualTo(7));
        Assert.That(ack.Revision, Is.EqualTo(7));
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(source.Diagnostics.LastBatch!.Kind, Is.EqualTo(GrpcSyncBatchKind.None));
    }

    [Test]
    public async Task Stream_DocumentThatDoesNotParse_KeepsTheLastGoodVersionAndIsReportedInTheAck()
    {
        var acks = Channel.CreateUnbounded<Ack>();
        ScriptedSyncServer server = await Start(async s =>
        {
            await s.WelcomeAsync(1);
            await s.SendAsync(SnapshotOf(1, Flag("a", on: true), Flag("b", on: true)));
            await s.TransferredAsync(1);
            await acks.Writer.WriteAsync(await s.ReadAckAsync());
            var broken = new Document { Kind = DocumentKind.Flag, Key = "a", Json = ByteString.CopyFromUtf8("{\"key\":\"a\",\"on\":\"perhaps\"") };
            var delta = new SyncResponse { Delta = new Delta { FromRevision = 1, ToRevision = 2 } };
            delta.Delta.Upserts.Add(broken);
            delta.Delta.Upserts.Add(Flag("b", on: false));
            await s.SendAsync(delta);
            await s.TransferredAsync(2);
            await acks.Writer.WriteAsync(await s.ReadAckAsync());
            await s.HoldAsync();
        });
        (FlagClient client, _) = await Connect(server);

        await acks.Reader.ReadAsync().WithDeadline("the first ack");
        Ack ack = await acks.Reader.ReadAsync().WithDeadline("the ack of the delta");

        Assert.That(ack.Revision, Is.EqualTo(2));
        Assert.That(ack.Failures, Has.Count.EqualTo(1));
        Assert.That(ack.Failures[0].Key, Is.EqualTo("a"));
        Assert.That(ack.Failures[0].Kind, Is.EqualTo(DocumentKind.Flag));
        Assert.That(ack.Failures[0].Reason, Is.Not.Empty);
        Assert.That(client.IsEnabled("a"), Is.True, "a keeps its last good version");
        Assert.That(client.IsEnabled("b", defaultValue: true), Is.False, "the rest of the batch applied");
    }

    [Test]
    public async Task Stream_DocumentThatDoesNotCompile_KeepsTheLastGoodVersionAndIsReportedWithTheCompilersMessage()
    {
        var acks = Channel.CreateUnbounded<Ack>();
        ScriptedSyncServer server = await Start(async s =>
        {
            await s.WelcomeAsync(1);
            await s.SendAsync(SnapshotOf(1, Flag("a", on: true)));
            await s.TransferredAsync(1);
            await acks.Writer.WriteAsync(await s.ReadAckAsync());
            // Valid JSON, but an operator this SDK does not know: the compiler refuses this one flag.
            var unknownOperator = new Document
            {
                Kind = DocumentKind.Flag,
                Key = "a",
                Json = ByteString.CopyFromUtf8("""{"key":"a","kind":"bool","on":false,"variants":{"on":true,"off":false},"offVariant":"off","rules":[{"conditions":[{"attribute":"region","op":"frobnicate","values":["eu"]}],"variant":"on"}],"defaultRule":{"variant":"off"}}"""),
            };
            await s.SendAsync(DeltaOf(1, 2, upserts: [unknownOperator, Flag("c", on: true)]));
            await s.TransferredAsync(2);
            await acks.Writer.WriteAsync(await s.ReadAckAsync());
            await s.HoldAsync();
        });
        (FlagClient client, _) = await Connect(server);

        await acks.Reader.ReadAsync().WithDeadline("the first ack");
        Ack ack = await acks.Reader.ReadAsync().WithDeadline("the ack of the delta");

        Assert.That(ack.Revision, Is.EqualTo(2));
        Assert.That(ack.Failures.Select(f => f.Key), Is.EqualTo(new[] { "a" }));
        Assert.That(ack.Failures[0].Reason, Does.Contain("frobnicate"));
        Assert.That(client.IsEnabled("a"), Is.True, "a keeps its last good version");
        Assert.That(client.IsEnabled("c"), Is.True, "the rest of the batch applied");
        Assert.That(client.Snapshot.Revision, Is.EqualTo(2));
    }

    [Test]
    public async Task DisposeAsync_WhileConnected_EndsQuietlyAndKeepsServing()
    {
        var acked = new TaskCompletionSource();
        ScriptedSyncServer server = await Start(async s =>
        {
            await s.WelcomeAsync(1);
            await s.SendAsync(SnapshotOf(1, Flag("a", on: true)));
            await s.TransferredAsync(1);
            await s.ReadAckAsync();
            acked.SetResult();
            await s.HoldAsync();
        });
        (FlagClient client, _) = await Connect(server);
        var statuses = new List<FlagClientStatus>();
        client.StatusChanged += (_, e) => statuses.Add(e.Status);
        await acked.Task.WaitAsync(SyncWait.Deadline);

        await client.DisposeAsync();

        Assert.That(statuses, Is.Empty, "disposing is not a failure");
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(client.IsEnabled("a"), Is.True);
    }

    private static readonly object[] Refusals =
    [
        new object[] { StatusCode.Unauthenticated, "invalid API key" },
        new object[] { StatusCode.PermissionDenied, "this key reads environment 'staging'" },
        new object[] { StatusCode.FailedPrecondition, "no common protocol version: server [2], SDK [1]" },
    ];

    [TestCaseSource(nameof(Refusals))]
    public async Task Stream_RefusalThatCannotHeal_FailsWithTheServersMessageAndKeepsServing(StatusCode code, string detail)
    {
        ScriptedSyncServer server = await Start(async s =>
        {
            if (s.Number == 1)
            {
                await s.WelcomeAsync(1);
                await s.SendAsync(SnapshotOf(1, Flag("a", on: true)));
                await s.TransferredAsync(1);
                await s.ReadAckAsync();
            }

            throw new RpcException(new Status(code, detail));
        });
        (FlagClient client, GrpcFlagSource source) = await Connect(server);

        await SyncWait.UntilAsync(() => client.Status == FlagClientStatus.Failed && _lastStatusDetail is not null, "the client is Failed (and the event raised)");

        Assert.That(StatusReason(client), Does.Contain(detail).And.Contain(code.ToString()));
        Assert.That(client.IsEnabled("a"), Is.True, "what it has keeps serving");
        Assert.That(server.Sessions, Is.EqualTo(1), "retries slowly, not in a tight loop");
    }

    [Test]
    public async Task Start_ServerChoosesAVersionThisSdkDoesNotSpeak_Fails()
    {
        ScriptedSyncServer server = await Start(async s =>
        {
            await s.SendAsync(new SyncResponse { Welcome = new Welcome { ProtocolVersion = 2, SchemaVersion = 1 } });
            await s.HoldAsync();
        });
        (FlagClient client, _) = await Connect(server);

        await SyncWait.UntilAsync(() => client.Status == FlagClientStatus.Failed && _lastStatusDetail is not null, "the client is Failed (and the event raised)");

        Assert.That(StatusReason(client), Does.Contain("protocol 2"));
    }

    private async Task<ScriptedSyncServer> Start(Func<ScriptedSyncSession, Task> script)
    {
        ScriptedSyncServer server = await ScriptedSyncServer.StartAsync(script);
        _disposables.Add(server);
        return server;
    }

    private async Task<(FlagClient Client, GrpcFlagSource Source)> Connect(ScriptedSyncServer server)
    {
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Url,
            ApiKey = "sdk-test-key",
            Environment = "production",
            AppName = "scripted-tests",
            AppVersion = "1.0.0",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            FailedRetryDelay = TimeSpan.FromMinutes(10),
        });
        var client = new FlagClient(source);
        // Events are raised on the client's own task, after the change: record the Failed one's detail.
        client.StatusChanged += (_, e) => _lastStatusDetail = e.Status == FlagClientStatus.Failed ? e.Detail : _lastStatusDetail;
        _disposables.Add(client);
        _disposables.Add(source);
        await client.StartAsync(CancellationToken.None);
        return (client, source);
    }

    private string? StatusReason(FlagClient client) => client.Status == FlagClientStatus.Failed ? _lastStatusDetail : null;

    internal static Document Flag(string key, bool on) => new()
    {
        Kind = DocumentKind.Flag,
        Key = key,
        Json = ByteString.CopyFromUtf8($$$"""{"key":"{{{key}}}","kind":"bool","on":{{{(on ? "true" : "false")}}},"variants":{"on":true,"off":false},"offVariant":"off","defaultRule":{"variant":"on"}}"""),
    };

    private static SyncResponse SnapshotOf(long revision, params Document[] documents)
    {
        var snapshot = new Snapshot { Revision = revision };
        snapshot.Documents.AddRange(documents);
        return new SyncResponse { Snapshot = snapshot };
    }

    private static SyncResponse DeltaOf(long from, long to, Document[] upserts)
    {
        var delta = new Delta { FromRevision = from, ToRevision = to };
        delta.Upserts.AddRange(upserts);
        return new SyncResponse { Delta = delta };
    }

    /// <summary>Re-parses the message with an extra field 99 (unknown to today's schema) on the envelope or inside its payload.</summary>
    private static SyncResponse WithUnknownField(SyncResponse message, bool nested)
    {
        byte[] extra = Tagged(99, "from the future");
        if (!nested)
        {
            return SyncResponse.Parser.ParseFrom([.. message.ToByteArray(), .. extra]);
        }

        // The oneof payload is field 1..7 of SyncResponse; rebuild it with the extra bytes appended inside.
        int field = (int)message.KindCase;
        IMessage payload = (IMessage)SyncResponse.Descriptor.FindFieldByNumber(field).Accessor.GetValue(message);
        byte[] inner = [.. payload.ToByteArray(), .. extra];
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(inner));
        output.Flush();
        return SyncResponse.Parser.ParseFrom(stream.ToArray());
    }

    private static byte[] Tagged(int field, string text)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(text);
        output.Flush();
        return stream.ToArray();
    }
}
