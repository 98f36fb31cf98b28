using Microsoft.Extensions.Logging;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// Keep-alive on the direct Sync path, with Kestrel's HTTP/2 keep-alive settings (which the server derives from its
/// heartbeat interval, one second at least): a peer that stops answering PINGs is closed after the timeout; one that
/// answers stays.
/// </summary>
public sealed class DirectSyncKeepAliveTests
{
    private readonly DirectSyncLogCapture _log = new();
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer() =>
        _server = await TestFlagServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["FlagKit:Server:HeartbeatInterval"] = "00:00:00.2",
                ["Logging:LogLevel:FlagKit.Server.Sync.Direct"] = "Information",
            },
            configure: builder => builder.Logging.AddProvider(_log));

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public void Router_ReadsKestrelsKeepAliveSettings_DerivedFromTheHeartbeat()
    {
        var router = _server.GetService<DirectSyncRouter>();

        Assert.That(router.KeepAliveDelay, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(router.KeepAliveTimeout, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public async Task PeerStopsAnsweringPings_ClosedAfterTheTimeout()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.OpenSyncWithWideWindowsAsync(1);

        var closed = await client.ReadForAsync(TimeSpan.FromSeconds(8));

        Assert.That(client.Frames.Any(f => f.Frame.Type == Http2FrameType.Ping && !f.Frame.Has(Http2Frame.Ack)), Is.True, "the server pinged");
        Assert.That(closed, Is.True, "closed after the ping went unanswered");
        Assert.That(_log.Events.Any(e => e.Message.Contains("keep-alive", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task PeerAnswersPings_StaysOpen()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.OpenSyncWithWideWindowsAsync(1);

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var pings = 0;
        var closed = false;
        while (DateTime.UtcNow < until && !closed)
        {
            var read = await client.ReadFrameAsync(TimeSpan.FromMilliseconds(200));
            if (read is { Frame: null })
            {
                closed = true;
            }
            else if (read is { Frame: { Type: Http2FrameType.Ping } ping } && !ping.Has(Http2Frame.Ack))
            {
                pings++;
                await client.WriteFrameAsync(Http2FrameType.Ping, Http2Frame.Ack, 0, read.Value.Payload);
            }
        }

        Assert.That(closed, Is.False);
        Assert.That(pings, Is.GreaterThan(0), "the server pinged the quiet peer");
    }
}
