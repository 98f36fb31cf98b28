using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Sync.Direct;
using Grpc.Core;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// A Sync call with a bad or missing API key: UNAUTHENTICATED with the same detail on the direct path as through
/// ASP.NET Core, as a trailers-only response (one HEADERS frame with END_STREAM, no DATA).
/// </summary>
public sealed class DirectSyncAuthTests
{
    private const string UnknownKey = "fk_sdk_unknown_key_production_0123456789abcd";
    private TestFlagServer _server = null!;

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [TestCase(UnknownKey, "Invalid API key (unknown or revoked).")]
    [TestCase(null, "Missing API key: send the metadata 'authorization: Bearer <key>'.")]
    public async Task BadKey_EitherPath_UnauthenticatedWithTheSameDetail(string? key, string detail)
    {
        foreach (var direct in new[] { true, false })
        {
            _server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:DirectSyncConnections"] = direct ? "true" : "false" });
            using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(key));

            var error = Assert.ThrowsAsync<RpcException>(async () => await stream.ReadAsync());

            Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated), direct ? "direct" : "kestrel");
            Assert.That(error.Status.Detail, Is.EqualTo(detail), direct ? "direct" : "kestrel");
            Assert.That(_server.GetService<DirectSyncRouter>().ConnectionsServed, Is.EqualTo(direct ? 1 : 0));
            await _server.DisposeAsync();
        }
    }

    [Test]
    public async Task BadKey_RawClient_TrailersOnlyResponseWithStatus16AndNoData()
    {
        _server = await TestFlagServer.StartAsync();
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.OpenSyncAsync(1, UnknownKey);

        var (frame, block) = await client.ReadUntilAsync(f => f.Type == Http2FrameType.Headers && f.StreamId == 1);
        var fields = new HpackFieldRecorder();
        new HpackDecoder(4096, 16384).Decode(block, fields);
        await client.ReadForAsync(TimeSpan.FromMilliseconds(500));

        Assert.That(frame.Has(Http2Frame.EndStream), Is.True, "trailers-only: the one HEADERS ends the stream");
        Assert.That(fields.Fields, Does.Contain((":status", "200")));
        Assert.That(fields.Fields, Does.Contain(("content-type", "application/grpc")));
        Assert.That(fields.Fields, Does.Contain(("grpc-status", "16")));
        Assert.That(Uri.UnescapeDataString(fields.Fields.Single(f => f.Name == "grpc-message").Value), Is.EqualTo("Invalid API key (unknown or revoked)."));
        Assert.That(client.DataReceived(1), Is.Zero);
    }
}
