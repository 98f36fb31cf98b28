using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlagKit.Reliability.Tests.Intruders;

/// <summary>
/// One SDK key must not break operations for everyone: every text field a client sends (each Hello and Ack field, the
/// admin requests' fields, the actor header) is bounded and refused with INVALID_ARGUMENT naming it; a sync message
/// over the sync limit is never parsed; client text is escaped and cut in logs.
/// </summary>
/// <remarks>
/// Found by an outside attack: three Hellos carrying a 6 MB <c>instance_id</c> made <c>ListInstances</c> fail (so
/// <c>flagkit status</c> and every <c>--wait</c> failed while those streams stayed open), added 123 MB of memory and
/// 15 MB of log.
/// </remarks>
[TestFixture]
public sealed class ClientFieldBoundsTests
{
    private static IEnumerable<TestCaseData> HelloTextFields() =>
        Hello.Descriptor.Fields.InFieldNumberOrder()
            .Where(f => f.FieldType == FieldType.String)
            .Select(f => new TestCaseData(f.Name).SetArgDisplayNames(f.Name));

    [TestCaseSource(nameof(HelloTextFields))]
    public async Task Hello_TextFieldOverItsBound_RefusedNamingTheField(string field)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        Hello hello = HonestHello("bounds");
        Hello.Descriptor.FindFieldByName(field).Accessor.SetValue(hello, new string('a', 257));

        using AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call = server.CreateSyncClient().Sync();
        await call.RequestStream.WriteAsync(new SyncRequest { Hello = hello });
        (List<SyncResponse> received, RpcException? ended) = await ReadToEndAsync(call);

        Assert.That(received, Is.Empty, "no Welcome for an over-long Hello");
        Assert.That(ended?.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ended?.Status.Detail, Does.Contain(field).And.Contain("257").And.Contain("256"));
        Assert.That((await server.Admin.ListInstancesAsync(new ListInstancesRequest())).Instances, Is.Empty);
    }

    [Test]
    public async Task Hello_EveryTextFieldAtItsBound_Accepted()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        Hello hello = HonestHello(new string('i', 256));
        hello.SdkName = hello.SdkVersion = hello.AppName = hello.AppVersion = new string('s', 256);
        using AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call = server.CreateSyncClient().Sync();
        await call.RequestStream.WriteAsync(new SyncRequest { Hello = hello });

        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True);
        Assert.That(call.ResponseStream.Current.KindCase, Is.EqualTo(SyncResponse.KindOneofCase.Welcome));
    }

    [Test]
    public async Task Ack_FailureReasonOverItsBound_StreamEndsWithInvalidArgument()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 3, padding: 1);
        using SyncStream stream = await SyncStream.OpenAsync(server.CreateSyncClient(), instanceId: "acker");
        (_, List<SyncResponse> batch) = await stream.ReadWelcomeAndFirstBatchAsync();

        await stream.AckAsync(batch[^1].Transferred.Revision, new DocumentFailure { Kind = DocumentKind.Flag, Key = "f0000", Reason = new string('r', 4097) });
        (_, RpcException? ended) = await ReadToEndAsync(stream.Call, TimeSpan.FromSeconds(10));

        Assert.That(ended?.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ended?.Status.Detail, Does.Contain("failures[0].reason").And.Contain("4096"));
    }

    [Test]
    public async Task HugeHellos_ThreeStreamsOf6MB_RefusedUnparsedAndListInstancesKeepsWorking()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        await using SdkClient honest = await SdkClient.StartAsync(SdkClient.Options(server.Address, TestFlagServer.SdkKey, TestFlagServer.Environment));
        await Wait.UntilAsync(() => honest.Client.Status == FlagClientStatus.Ready, "the honest SDK is ready");
        long before = ServerHeap();

        var calls = new List<AsyncDuplexStreamingCall<SyncRequest, SyncResponse>>();
        for (int i = 0; i < 3; i++)
        {
            AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call = server.CreateSyncClient().Sync();
            calls.Add(call);
            try
            {
                await call.RequestStream.WriteAsync(new SyncRequest { Hello = HonestHello(new string('x', 6 * 1024 * 1024)) });
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException)
            {
                // Refused before the write completed.
            }
        }

        // Each call's first answer: a refusal, or (as before the fix) a Welcome on a stream that stays open.
        var refusals = new List<StatusCode>();
        foreach (AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call in calls)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                refusals.Add(await call.ResponseStream.MoveNext(deadline.Token) ? StatusCode.OK : call.GetStatus().StatusCode);
            }
            catch (RpcException e)
            {
                refusals.Add(e.StatusCode);
            }
        }

        // Asked while those calls are still open (nothing disposed them yet).
        ListInstancesResponse listed = await server.Admin.ListInstancesAsync(new ListInstancesRequest());
        long grown = ServerHeap() - before;
        TestContext.Out.WriteLine($"refusals: {string.Join(", ", refusals)}; managed heap grew {grown / 1024} KB");
        calls.ForEach(c => c.Dispose());

        // The sync receive limit (1 MiB) refuses the message before it is parsed; on a stream the reset may win the race.
        Assert.That(refusals, Is.All.AnyOf(StatusCode.ResourceExhausted, StatusCode.Cancelled, StatusCode.Internal));
        Assert.That(listed.Instances.Select(i => i.InstanceId), Is.EqualTo(new[] { honest.Source.InstanceId }), "ListInstances answers, with the honest instance only");
        Assert.That(grown, Is.LessThan(16L * 1024 * 1024), "the 18 MB sent is not kept");
    }

    [Test]
    public async Task AdminRequests_TextOverItsBound_RefusedNamingTheFieldNothingWritten()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        WriteResponse first = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 3, padding: 1);

        RpcException comment = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.SetFlagStateAsync(new SetFlagStateRequest
        {
            Environment = TestFlagServer.Environment,
            Key = Generations.Key(0),
            Change = FlagStateChange.Kill,
            Options = new FlagKit.Protocol.V1.WriteOptions { Comment = new string('c', 4097) },
        }))!;
        RpcException key = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = TestFlagServer.Environment, Key = new string('k', 300) }))!;
        RpcException target = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.SetTargetsAsync(new SetTargetsRequest
        {
            Environment = TestFlagServer.Environment,
            Key = Generations.Key(0),
            Variant = "on",
            Add = { "alice", new string('t', 257) },
        }))!;
        var actorHeader = new Metadata { { "flagkit-actor", new string('a', 300) } };
        RpcException actor = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest(), actorHeader))!;

        Assert.That(new[] { comment.StatusCode, key.StatusCode, target.StatusCode, actor.StatusCode }, Is.All.EqualTo(StatusCode.InvalidArgument));
        Assert.That(comment.Status.Detail, Does.Contain("options.comment").And.Contain("4096"));
        Assert.That(key.Status.Detail, Does.Contain(".key").And.Contain("300"));
        Assert.That(target.Status.Detail, Does.Contain("add[1]"));
        Assert.That(actor.Status.Detail, Does.Contain("flagkit-actor"));
        ListEnvironmentsResponse environments = await server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest());
        Assert.That(environments.Environments.Single(e => e.Name == TestFlagServer.Environment).Revision, Is.EqualTo(first.Revision), "nothing was written");
    }

    [Test]
    public async Task ClientText_InTheServerLog_EscapedAndCutNeverAForgedLine()
    {
        var capture = new LogCapture();
        await using TestFlagServer server = await TestFlagServer.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:FlagKit"] = "Information" },
            configure: builder => builder.Services.AddSingleton<ILoggerProvider>(capture));
        Hello hello = HonestHello("pod-7\n2026-12-01 12:00:00 fail: admin key leaked\r\u001b[31m\u202eevil");
        hello.AppName = "game\u2028forged";
        using SyncStream stream = await SyncStream.OpenAsync(server.CreateSyncClient(), instanceId: hello.InstanceId);
        await stream.ReadWelcomeAndFirstBatchAsync();

        string line = capture.Messages.Single(m => m.Contains("pod-7", StringComparison.Ordinal));
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.Contain(@"pod-7\n2026-12-01").And.Contain(@"\r\u001b[31m\u202eevil"));
        Assert.That(line.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029' or '\u202e'), Is.False, "no control or format character of the client reaches the log");
    }

    private static Hello HonestHello(string instanceId) => new()
    {
        SdkName = "raw",
        SdkVersion = "1.0.0",
        InstanceId = instanceId,
        AppName = "bounds",
        AppVersion = "1.0.0",
        Environment = TestFlagServer.Environment,
        ProtocolVersions = { 1 },
        SchemaVersions = { 1 },
    };

    private static long ServerHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task<(List<SyncResponse> Received, RpcException? Ended)> ReadToEndAsync(AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call, TimeSpan? deadline = null)
    {
        var received = new List<SyncResponse>();
        using var cts = new CancellationTokenSource(deadline ?? Wait.Deadline);
        try
        {
            while (await call.ResponseStream.MoveNext(cts.Token))
            {
                received.Add(call.ResponseStream.Current);
            }
        }
        catch (RpcException e)
        {
            return (received, e);
        }

        return (received, null);
    }
}
