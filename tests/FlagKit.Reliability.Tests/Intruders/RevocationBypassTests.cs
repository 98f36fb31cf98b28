using System.Diagnostics;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Sync;
using FlagKit.Server.Tests;
using Grpc.Core;

namespace FlagKit.Reliability.Tests.Intruders;

/// <summary>
/// A key revoked while a Sync call of it is in any state: opened but no Hello yet (and the Hello sent after the
/// revocation), waiting for a Hello that never comes, subscribed and idle, subscribed with a batch it does not read.
/// Each call must end within 1 s of the revocation, and get nothing more: no Welcome, no snapshot, no later delta.
/// </summary>
/// <remarks>
/// Found by an outside attack: the key was checked only when the call opened, and revocation reached only streams
/// already subscribed, so a call opened before the revocation and sending its Hello after it was fed for 34 s and on.
/// </remarks>
[TestFixture]
public sealed class RevocationBypassTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    [Test]
    public async Task Revoke_BeforeTheCallSendsHello_HelloIsRefusedNothingIsSent()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 3, padding: 1);
        CreateApiKeyResponse doomed = await CreateSdkKeyAsync(server);
        using AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call = server.CreateSyncClient(doomed.Secret).Sync();
        await call.ResponseHeadersAsync.WithDeadline("the server accepted the call (authenticated it)");

        await server.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = doomed.Key.Id });
        long revoked = Stopwatch.GetTimestamp();
        await TrySendHelloAsync(call);
        (List<SyncResponse> received, RpcException? ended) = await ReadToEndAsync(call);
        TimeSpan took = Stopwatch.GetElapsedTime(revoked);
        TestContext.Out.WriteLine($"ended {took.TotalMilliseconds:0} ms after the revocation: {ended?.StatusCode} {ended?.Status.Detail}");

        Assert.That(received, Is.Empty, "nothing (no Welcome, no snapshot) reached the revoked key");
        Assert.That(ended?.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(ended?.Status.Detail, Does.Contain("revoked"));
        Assert.That(took, Is.LessThan(Bound));
        await AssertNothingLeftAsync(server);
    }

    [Test]
    public async Task Revoke_WhileTheCallWaitsForItsHello_CallEndsAtOnce()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        CreateApiKeyResponse doomed = await CreateSdkKeyAsync(server);
        using AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call = server.CreateSyncClient(doomed.Secret).Sync();
        await call.ResponseHeadersAsync.WithDeadline("the server accepted the call");

        await server.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = doomed.Key.Id });
        long revoked = Stopwatch.GetTimestamp();
        (List<SyncResponse> received, RpcException? ended) = await ReadToEndAsync(call);
        TimeSpan took = Stopwatch.GetElapsedTime(revoked);
        TestContext.Out.WriteLine($"ended {took.TotalMilliseconds:0} ms after the revocation (the Hello timeout is 30 s)");

        Assert.That(received, Is.Empty);
        Assert.That(ended?.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(took, Is.LessThan(Bound));
    }

    [Test]
    public async Task Revoke_SubscribedIdleStream_EndsWithinASecondAndGetsNoLaterDelta()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 3, padding: 1);
        CreateApiKeyResponse doomed = await CreateSdkKeyAsync(server);
        using SyncStream stream = await SyncStream.OpenAsync(server.CreateSyncClient(doomed.Secret), instanceId: "idle-leaked");
        await stream.ReadWelcomeAndFirstBatchAsync();

        await server.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = doomed.Key.Id });
        long revoked = Stopwatch.GetTimestamp();
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 2, 3, padding: 1);
        (List<SyncResponse> received, RpcException? ended) = await ReadToEndAsync(stream.Call);
        TimeSpan took = Stopwatch.GetElapsedTime(revoked);
        TestContext.Out.WriteLine($"ended {took.TotalMilliseconds:0} ms after the revocation");

        Assert.That(received.Where(r => r.KindCase is SyncResponse.KindOneofCase.Delta or SyncResponse.KindOneofCase.Snapshot), Is.Empty, "no change after the revocation");
        Assert.That(ended?.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(took, Is.LessThan(Bound));
        await AssertNothingLeftAsync(server);
    }

    [Test]
    public async Task Revoke_SubscribedStreamThatDoesNotRead_IsEndedOnTheServerWithinASecond()
    {
        // A snapshot far larger than the HTTP/2 windows: the server's write waits on a client that never reads.
        await using TestFlagServer server = await TestFlagServer.StartAsync(new Dictionary<string, string?>
        {
            ["FlagKit:Server:FinalMessageTimeout"] = "00:00:10",
        });
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 40, padding: 50_000);
        CreateApiKeyResponse doomed = await CreateSdkKeyAsync(server);
        using SyncStream stream = await SyncStream.OpenAsync(server.CreateSyncClient(doomed.Secret), instanceId: "stuck-leaked");
        await Wait.UntilAsync(() => Hub(server).SubscriberCount == 1, "the stream is subscribed");
        await Wait.UntilAsync(() => Instances(server).Any(i => i.InstanceId == "stuck-leaked" && i.SentRevision > 0), "the server is writing the snapshot");

        await server.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = doomed.Key.Id });
        long revoked = Stopwatch.GetTimestamp();
        await Wait.UntilAsync(() => Hub(server).SubscriberCount == 0 && Instances(server).Count == 0, "the stuck stream is gone from the server", Bound);
        TimeSpan took = Stopwatch.GetElapsedTime(revoked);
        TestContext.Out.WriteLine($"gone from the server {took.TotalMilliseconds:0} ms after the revocation (FinalMessageTimeout is 10 s)");

        Assert.That(took, Is.LessThan(Bound));
    }

    private static async Task<CreateApiKeyResponse> CreateSdkKeyAsync(TestFlagServer server) =>
        await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "leaked", Role = ApiKeyRole.Sdk, Environment = TestFlagServer.Environment });

    private static EnvironmentHub Hub(TestFlagServer server)
    {
        server.GetService<HubRegistry>().TryGet(TestFlagServer.Environment, out EnvironmentHub hub);
        return hub;
    }

    private static IReadOnlyList<InstanceInfo> Instances(TestFlagServer server) => server.GetService<InstanceRegistry>().List("");

    private static async Task TrySendHelloAsync(AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call)
    {
        var hello = new Hello { SdkName = "attacker", InstanceId = "late-hello", Environment = TestFlagServer.Environment, ProtocolVersions = { 1 }, SchemaVersions = { 1 } };
        try
        {
            await call.RequestStream.WriteAsync(new SyncRequest { Hello = hello });
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The server ended the call first: reading reports how.
        }
    }

    /// <summary>Every message until the call ends (deadline 30 s), and the status it ended with (null for OK).</summary>
    private static async Task<(List<SyncResponse> Received, RpcException? Ended)> ReadToEndAsync(AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call)
    {
        var received = new List<SyncResponse>();
        using var deadline = new CancellationTokenSource(Wait.Deadline);
        try
        {
            while (await call.ResponseStream.MoveNext(deadline.Token))
            {
                if (call.ResponseStream.Current.KindCase != SyncResponse.KindOneofCase.Heartbeat)
                {
                    received.Add(call.ResponseStream.Current);
                }
            }
        }
        catch (RpcException e)
        {
            return (received, e);
        }

        return (received, null);
    }

    private static async Task AssertNothingLeftAsync(TestFlagServer server)
    {
        await Wait.UntilAsync(() => Hub(server).SubscriberCount == 0, "no subscriber is left");
        ListInstancesResponse instances = await server.Admin.ListInstancesAsync(new ListInstancesRequest());
        Assert.That(instances.Instances, Is.Empty, "no instance of the revoked key is listed");
    }
}
