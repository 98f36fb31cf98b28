using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// A Sync call with grpc-timeout on the direct path ends at its deadline with DEADLINE_EXCEEDED, as ASP.NET Core's gRPC
/// ends it, even when the client does not cancel it itself.
/// </summary>
public sealed class DirectSyncDeadlineTests
{
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await TestFlagServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task GrpcTimeoutPasses_StreamEndsWithDeadlineExceededTrailers()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.WriteWindowUpdateAsync(0, 16 * 1024 * 1024);
        await client.OpenSyncAsync(1, extra: ("grpc-timeout", "1S"));

        var (_, block) = await client.ReadUntilAsync(f => f.StreamId == 1 && f.Type == Http2FrameType.Headers && f.Has(Http2Frame.EndStream), TimeSpan.FromSeconds(8));

        Assert.That(client.Messages(1), Is.Not.Empty, "the call ran until its deadline");
        Assert.That(DirectSyncRawClient.DecodeFields(block), Does.Contain(("grpc-status", "4")));
    }

    [TestCase("9999999H")]
    [TestCase("99999999H")]
    public async Task GrpcTimeoutOfCenturies_StreamServedAsWithoutOne(string timeout)
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.WriteWindowUpdateAsync(0, 16 * 1024 * 1024);
        await client.OpenSyncAsync(1, extra: ("grpc-timeout", timeout));

        await client.ReadUntilAsync(_ => client.Messages(1).Any(m => m.KindCase == Protocol.V1.SyncResponse.KindOneofCase.Transferred));
        await client.WriteResetAsync(1, Http2ErrorCode.Cancel);
        await client.OpenSyncAsync(3);
        await client.ReadUntilAsync(_ => client.Messages(3).Any(m => m.KindCase == Protocol.V1.SyncResponse.KindOneofCase.Transferred));

        Assert.That(client.Frames.Any(f => f.Frame.Type == Http2FrameType.GoAway), Is.False);
        Assert.That(client.Messages(1)[0].KindCase, Is.EqualTo(Protocol.V1.SyncResponse.KindOneofCase.Welcome));
    }
}
