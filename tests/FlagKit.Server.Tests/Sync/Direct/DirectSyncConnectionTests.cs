using FlagKit.Protocol.V1;
using FlagKit.Server.Sync.Direct;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// The direct Sync path end to end, with the generated gRPC client over SocketsHttpHandler: which connections it takes,
/// a non-Sync call on one of them, the switch that turns it off, and the request message bound.
/// </summary>
public sealed class DirectSyncConnectionTests
{
    private TestFlagServer _server = null!;

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task SyncClient_ConnectionWhoseFirstCallIsSync_ServedByTheDirectPathWhileAdminCallsAreNot()
    {
        _server = await TestFlagServer.StartAsync();
        var router = _server.GetService<DirectSyncRouter>();
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true)));
        Assert.That(router.ConnectionsServed, Is.Zero, "the admin channel's connection goes to Kestrel");

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());
        var (welcome, first) = await stream.ReadWelcomeAndFirstBatchAsync();
        var write = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: false)));
        var delta = await stream.ReadBatchAsync();

        Assert.That(router.ConnectionsServed, Is.EqualTo(1));
        Assert.That(welcome.Environment, Is.EqualTo(TestFlagServer.Environment));
        Assert.That(first[0].Snapshot.Documents.Select(d => d.Key), Is.EqualTo(new[] { "a" }));
        Assert.That(delta[^1].Transferred.Revision, Is.EqualTo(write.Revision));
    }

    [Test]
    public async Task AdminCallOnASyncConnection_RefusedThereAndRetriedOnANewConnection_BothCallsWork()
    {
        _server = await TestFlagServer.StartAsync();
        var router = _server.GetService<DirectSyncRouter>();
        using var channel = GrpcChannel.ForAddress(_server.Address, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler() });
        var invoker = channel.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + TestFlagServer.AdminKey);
            return metadata;
        });
        using var stream = await SyncStream.OpenAsync(new FlagSync.FlagSyncClient(invoker));
        await stream.ReadWelcomeAndFirstBatchAsync();

        // Same channel, same handler: the request lands on the Sync connection, is refused with REFUSED_STREAM and
        // GOAWAY, and the handler retries it on a new connection, which Kestrel serves.
        var environments = await new FlagAdmin.FlagAdminClient(invoker).ListEnvironmentsAsync(new ListEnvironmentsRequest(), deadline: DateTime.UtcNow.AddSeconds(15));
        var write = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("after", on: true)));
        var delta = await stream.ReadBatchAsync();

        Assert.That(environments.Environments.Select(e => e.Name), Does.Contain(TestFlagServer.Environment));
        Assert.That(delta[^1].Transferred.Revision, Is.EqualTo(write.Revision), "the Sync stream lives on after its connection's GOAWAY");
        Assert.That(router.ConnectionsServed, Is.EqualTo(1));
    }

    [Test]
    public async Task DirectSyncConnectionsOff_SyncServedByAspNetCoreAsBefore()
    {
        _server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:DirectSyncConnections"] = "false" });
        var router = _server.GetService<DirectSyncRouter>();

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());
        await stream.ReadWelcomeAndFirstBatchAsync();
        var write = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true)));
        var delta = await stream.ReadBatchAsync();

        Assert.That(delta[^1].Transferred.Revision, Is.EqualTo(write.Revision));
        Assert.That(router.ConnectionsServed, Is.Zero);
    }

    [Test]
    public async Task RequestOverTheSyncMessageBound_EndsTheStreamWithResourceExhaustedBeforeItIsRead()
    {
        _server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:MaxSyncRequestBytes"] = "4096" });
        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient());
        await stream.ReadWelcomeAndFirstBatchAsync();
        var ack = new Ack { Revision = 1 };
        for (var i = 0; i < 400; i++)
        {
            ack.Failures.Add(new DocumentFailure { Key = $"flag-{i:D4}", Reason = "a failure reason long enough to pass the bound" });
        }

        await stream.Call.RequestStream.WriteAsync(new SyncRequest { Ack = ack });
        var error = Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stream.ReadAsync() is not null)
            {
            }
        });

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.Contain("4096"));
        Assert.That(_server.GetService<DirectSyncRouter>().ConnectionsServed, Is.EqualTo(1));
    }
}
