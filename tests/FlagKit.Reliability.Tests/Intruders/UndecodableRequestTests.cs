using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace FlagKit.Reliability.Tests.Intruders;

/// <summary>
/// Bytes that are not protobuf, sent over a real HTTP/2 gRPC call to every admin method (all of them, from the service
/// descriptor) and to the sync stream (as its first message and after a good Hello): each is refused with
/// INVALID_ARGUMENT naming the message type, not UNKNOWN "Exception was thrown by handler".
/// </summary>
[TestFixture]
public sealed class UndecodableRequestTests
{
    /// <summary>An invalid tag (field number over 2^29): no message type decodes it.</summary>
    private static readonly byte[] Garbage = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01];

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    [Test]
    public async Task EveryAdminMethod_UndecodableRequest_InvalidArgumentNamingTheType()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        var outcomes = new List<string>();
        foreach (MethodDescriptor method in FlagAdmin.Descriptor.Methods)
        {
            var call = new Method<byte[], byte[]>(MethodType.Unary, FlagAdmin.Descriptor.FullName, method.Name, Raw, Raw);
            try
            {
                await server.CallInvoker(TestFlagServer.AdminKey).AsyncUnaryCall(call, null, new CallOptions(deadline: System.DateTime.UtcNow.AddSeconds(20)), Garbage);
                outcomes.Add($"{method.Name}: OK");
            }
            catch (RpcException e)
            {
                outcomes.Add($"{method.Name}: {e.StatusCode} {(e.Status.Detail.Contains(method.InputType.Name, StringComparison.Ordinal) ? "names the type" : e.Status.Detail)}");
            }
        }

        TestContext.Out.WriteLine(string.Join("\n", outcomes));
        Assert.That(outcomes, Has.Count.EqualTo(FlagAdmin.Descriptor.Methods.Count));
        Assert.That(outcomes, Is.All.EndsWith(": InvalidArgument names the type"));
    }

    [Test]
    public async Task Sync_UndecodableFirstMessage_InvalidArgument()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();

        RpcException refused = await SyncAsync(server, Garbage);

        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(refused.Status.Detail, Does.Contain(nameof(SyncRequest)));
    }

    [Test]
    public async Task Sync_UndecodableMessageAfterAGoodHello_StreamEndsWithInvalidArgument()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 3, padding: 1);
        var hello = new SyncRequest { Hello = new Hello { InstanceId = "garbled", Environment = TestFlagServer.Environment, ProtocolVersions = { 1 }, SchemaVersions = { 1 } } };

        RpcException refused = await SyncAsync(server, hello.ToByteArray(), Garbage);

        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(refused.Status.Detail, Does.Contain(nameof(SyncRequest)));
        ListInstancesResponse instances = await server.Admin.ListInstancesAsync(new ListInstancesRequest());
        Assert.That(instances.Instances, Is.Empty);
    }

    /// <summary>Opens a sync stream with the SDK key, sends <paramref name="messages"/> raw, reads until it ends.</summary>
    private static async Task<RpcException> SyncAsync(TestFlagServer server, params byte[][] messages)
    {
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, FlagSync.Descriptor.FullName, "Sync", Raw, Raw);
        using AsyncDuplexStreamingCall<byte[], byte[]> stream = server.CallInvoker(TestFlagServer.SdkKey)
            .AsyncDuplexStreamingCall(method, null, new CallOptions(deadline: System.DateTime.UtcNow.AddSeconds(20)));
        try
        {
            foreach (byte[] message in messages)
            {
                await stream.RequestStream.WriteAsync(message);
            }

            while (await stream.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        }
        catch (RpcException e)
        {
            return e;
        }
        catch (InvalidOperationException) when (stream.GetStatus() is { StatusCode: not StatusCode.OK } status)
        {
            return new RpcException(status);
        }

        Assert.Fail($"the stream ended cleanly with {stream.GetStatus()}");
        throw new InvalidOperationException();
    }
}
