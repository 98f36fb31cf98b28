using FlagKit.Protocol.V1;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// The router peeks at a connection's first request before Kestrel or the direct path answers anything. Clients that
/// wait for the server's SETTINGS before they send a request (grpc-go and what is built on it: grpcurl,
/// grpc_health_probe, Kubernetes gRPC probes) must not wait for the peek timeout: the server's SETTINGS goes out as soon
/// as the client preface is seen, and either side then serves the connection.
/// </summary>
public sealed class DirectSyncRouterTests
{
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await TestFlagServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task ClientWaitsForServerSettingsBeforeItsFirstRequest_SettingsAtOnceThenSyncServedDirectly()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);

        await client.ReadUntilAsync(f => f.Type == Http2FrameType.Settings && !f.Has(Http2Frame.Ack), TimeSpan.FromSeconds(3));
        await client.WriteFrameAsync(Http2FrameType.Settings, Http2Frame.Ack, 0, []);
        await client.WriteWindowUpdateAsync(0, 16 * 1024 * 1024);
        await client.OpenSyncAsync(1);
        await client.ReadUntilAsync(_ => client.Messages(1).Any(m => m.KindCase == SyncResponse.KindOneofCase.Transferred));

        Assert.That(client.Messages(1)[0].KindCase, Is.EqualTo(SyncResponse.KindOneofCase.Welcome));
        Assert.That(_server.GetService<DirectSyncRouter>().ConnectionsServed, Is.EqualTo(1));
        Assert.That(client.Frames.Any(f => f.Frame.Type == Http2FrameType.GoAway), Is.False);
    }

    [Test]
    public async Task ClientWaitsForServerSettingsBeforeItsFirstRequest_SettingsAtOnceThenAHealthCheckServedByKestrel()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);

        await client.ReadUntilAsync(f => f.Type == Http2FrameType.Settings && !f.Has(Http2Frame.Ack), TimeSpan.FromSeconds(3));
        await client.WriteFrameAsync(Http2FrameType.Settings, Http2Frame.Ack, 0, []);
        (string, string)[] fields =
        [
            (":method", "POST"), (":scheme", "http"), (":path", "/grpc.health.v1.Health/Check"), (":authority", "localhost"),
            ("content-type", "application/grpc"), ("te", "trailers"),
        ];
        var block = new byte[fields.Sum(f => HpackEncoder.LiteralLength(f.Item1, f.Item2))];
        var written = 0;
        foreach (var (name, value) in fields)
        {
            written += HpackEncoder.WriteLiteral(block.AsSpan(written), name, value);
        }

        await client.WriteFramesAsync(
            (Http2FrameType.Headers, Http2Frame.EndHeaders, 1, block),
            (Http2FrameType.Data, Http2Frame.EndStream, 1, [0, 0, 0, 0, 0]));
        var (_, response) = await client.ReadUntilAsync(f => f.Type == Http2FrameType.Headers && f.StreamId == 1);

        Assert.That(DirectSyncRawClient.DecodeFields(response), Does.Contain((":status", "200")));
        Assert.That(_server.GetService<DirectSyncRouter>().ConnectionsServed, Is.Zero, "Kestrel serves it");
        Assert.That(client.Frames.Any(f => f.Frame.Type == Http2FrameType.GoAway), Is.False);
    }
}
