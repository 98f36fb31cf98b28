using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Reliability.Tests.BadInput;

/// <summary>
/// Malformed and oversized protocol messages, on the admin API and on the sync stream: each is refused with a clear
/// status, and the server keeps serving everyone else (an SDK client connected throughout keeps its stream and gets
/// the next change; an honest admin call succeeds).
/// </summary>
/// <remarks>The server runs with its smallest message limit (64 KB) so the limits are exercised deliberately.</remarks>
[TestFixture]
public sealed class ProtocolAbuseTests
{
    private const int MaxMessageBytes = 64 * 1024;

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    private static readonly Dictionary<string, string?> Limits = new()
    {
        ["FlagKit:Server:MaxMessageBytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FlagKit:Server:BatchChunkBytes"] = "32768",
        ["FlagKit:Server:MaxDocumentBytes"] = "16384",
        ["FlagKit:Server:HelloTimeout"] = "00:00:02",
    };

    private static IEnumerable<TestCaseData> Abuses()
    {
        yield return Case("admin: request over the message limit", s => AdminAsync(s, "PutDocument", Put(new string('x', 100 * 1024))), StatusCode.ResourceExhausted, "exceeds");
        yield return Case("admin: document over the document limit", s => AdminAsync(s, "PutDocument", Put(new string('x', 20 * 1024))), StatusCode.InvalidArgument, "16384");
        // Was UNKNOWN "Exception was thrown by handler" (grpc-dotnet's answer to a deserializer's exception); see Intruders/UndecodableRequestTests.
        yield return Case("admin: bytes that are not protobuf", s => AdminAsync(s, "PutDocument", [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]), StatusCode.InvalidArgument, "PutDocumentRequest");
        yield return Case("admin: valid protobuf, JSON that is not UTF-8", s => AdminAsync(s, "PutDocument", new PutDocumentRequest { Environment = TestFlagServer.Environment, Kind = DocumentKind.Flag, Json = ByteString.CopyFrom([0xC3, 0x28, 0x7B]) }.ToByteArray()), StatusCode.InvalidArgument, "UTF-8");
        yield return Case("admin: a flags file nested 10 000 deep", s => AdminAsync(s, "ApplyFile", new ApplyFileRequest { Environment = TestFlagServer.Environment, FileJson = ByteString.CopyFromUtf8(new string('[', 10_000)) }.ToByteArray()), StatusCode.InvalidArgument, "JSON");
        yield return Case("admin: authorization header of 100 KB", s => AdminAsync(s, "ListEnvironments", [], authorization: "Bearer " + new string('k', 100 * 1024)), StatusCode.Internal, "");
        yield return Case("sync: bytes that are not protobuf as the first message", s => SyncAsync(s, [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]), StatusCode.InvalidArgument, "SyncRequest");
        // On a stream the over-limit message also resets it: the client sees RESOURCE_EXHAUSTED or, when the reset wins the
        // race, CANCELLED without a detail.
        yield return Case("sync: Hello over the message limit", s => SyncAsync(s, new SyncRequest { Hello = new Hello { Environment = TestFlagServer.Environment, AppName = new string('a', 100 * 1024) } }.ToByteArray()), StatusCode.ResourceExhausted, "", StatusCode.Cancelled);
        yield return Case("sync: Ack before Hello", s => SyncAsync(s, new SyncRequest { Ack = new Ack { Revision = 5 } }.ToByteArray()), StatusCode.InvalidArgument, "Hello");
        yield return Case("sync: no Hello at all", s => SyncAsync(s, null), StatusCode.DeadlineExceeded, "Hello");
        yield return Case("sync: Hello offering only protocol 99", s => SyncAsync(s, new SyncRequest { Hello = new Hello { Environment = TestFlagServer.Environment, ProtocolVersions = { 99 }, SchemaVersions = { 1 } } }.ToByteArray()), StatusCode.FailedPrecondition, "99");

        static TestCaseData Case(string name, Func<TestFlagServer, Task<RpcException>> abuse, StatusCode expected, string detail, StatusCode? alsoAccepted = null) =>
            new TestCaseData(abuse, alsoAccepted is { } also ? new[] { expected, also } : new[] { expected }, detail).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Abuses))]
    public async Task Abuse_IsRefusedWithAClearStatus_ServerKeepsServingOthers(Func<TestFlagServer, Task<RpcException>> abuse, StatusCode[] expected, string detail)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(Limits);
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 5, padding: 1);
        await using SdkClient bystander = await SdkClient.StartAsync(SdkClient.Options(server.Address, TestFlagServer.SdkKey, TestFlagServer.Environment));
        await Wait.UntilAsync(() => bystander.Client.Status == FlagClientStatus.Ready, "the bystander SDK is ready");
        long sessions = bystander.Source.Diagnostics.Sessions;

        RpcException refused = await abuse(server);
        TestContext.Out.WriteLine($"{refused.StatusCode}: {refused.Status.Detail}");

        Assert.That(expected, Does.Contain(refused.StatusCode));
        Assert.That(refused.Status.Detail, Does.Contain(detail).IgnoreCase);
        WriteResponse next = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 2, 5, padding: 1);
        await Wait.UntilAsync(() => bystander.Client.Snapshot.Revision == next.Revision, "the bystander gets the next change");
        Assert.That(bystander.Source.Diagnostics.Sessions, Is.EqualTo(sessions), "the bystander's stream was never interrupted");
    }

    private static byte[] Put(string description) => new PutDocumentRequest
    {
        Environment = TestFlagServer.Environment,
        Kind = DocumentKind.Flag,
        Json = ByteString.CopyFromUtf8($$"""{ "key": "big", "kind": "bool", "description": "{{description}}", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
    }.ToByteArray();

    private static async Task<RpcException> AdminAsync(TestFlagServer server, string method, byte[] request, string authorization = "Bearer " + TestFlagServer.AdminKey)
    {
        var call = new Method<byte[], byte[]>(MethodType.Unary, FlagAdmin.Descriptor.FullName, method, Raw, Raw);
        var headers = new Metadata { { "authorization", authorization } };
        try
        {
            await server.Channel.CreateCallInvoker().AsyncUnaryCall(call, null, new CallOptions(headers, deadline: System.DateTime.UtcNow.AddSeconds(20)), request);
        }
        catch (RpcException e)
        {
            return e;
        }

        Assert.Fail($"{method} was accepted");
        throw new InvalidOperationException();
    }

    /// <summary>Opens a sync stream with the SDK key, sends <paramref name="first"/> raw (nothing when null), reads until it ends.</summary>
    private static async Task<RpcException> SyncAsync(TestFlagServer server, byte[]? first)
    {
        var call = new Method<byte[], byte[]>(MethodType.DuplexStreaming, FlagSync.Descriptor.FullName, "Sync", Raw, Raw);
        var headers = new Metadata { { "authorization", "Bearer " + TestFlagServer.SdkKey } };
        using AsyncDuplexStreamingCall<byte[], byte[]> stream = server.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(call, null, new CallOptions(headers, deadline: System.DateTime.UtcNow.AddSeconds(20)));
        try
        {
            if (first is not null)
            {
                await stream.RequestStream.WriteAsync(first);
            }

            while (await stream.ResponseStream.MoveNext(CancellationToken.None))
            {
                SyncResponse response = SyncResponse.Parser.ParseFrom(stream.ResponseStream.Current);
                Assert.That(response.KindCase, Is.Not.EqualTo(SyncResponse.KindOneofCase.Snapshot), "the abuse got a snapshot");
            }
        }
        catch (RpcException e)
        {
            return e;
        }
        catch (InvalidOperationException) when (stream.GetStatus() is { StatusCode: not StatusCode.OK } status)
        {
            // The server ended the call before our write went out.
            return new RpcException(status);
        }

        Assert.Fail($"the stream ended cleanly with {stream.GetStatus()}");
        throw new InvalidOperationException();
    }
}
