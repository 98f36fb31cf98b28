using System.Buffers.Binary;
using Microsoft.AspNetCore.Hosting;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// A direct Sync connection left without any stream (its call refused, e.g. a bad key, or ended) is closed after
/// Kestrel's KeepAliveTimeout, as Kestrel closes an idle HTTP/2 connection: answering PINGs does not keep it forever.
/// A connection with a stream stays.
/// </summary>
public sealed class DirectSyncIdleTests
{
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer() =>
        _server = await TestFlagServer.StartAsync(
            new Dictionary<string, string?> { ["FlagKit:Server:HeartbeatInterval"] = "00:00:00.2" },
            configure: builder => builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(2)));

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task NoStreamLeft_ClosedWithGoAwayAfterTheKeepAliveTimeoutThoughItAnswersPings()
    {
        Assert.That(_server.GetService<DirectSyncRouter>().IdleTimeout, Is.EqualTo(TimeSpan.FromSeconds(2)), "Kestrel's limit");
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.OpenSyncAsync(1, key: "fk_sdk_unknown_key_production_0123456789abcd");
        await client.ReadUntilAsync(f => f.StreamId == 1 && f.Has(Http2Frame.EndStream));

        var closed = await client.ReadAnsweringPingsAsync(TimeSpan.FromSeconds(8));

        var goAway = client.Frames.Where(f => f.Frame.Type == Http2FrameType.GoAway).Select(f => f.Payload).FirstOrDefault();
        Assert.That(closed, Is.True, "the idle connection is closed");
        Assert.That(goAway, Is.Not.Null);
        Assert.That((Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(goAway.AsSpan(4)), Is.EqualTo(Http2ErrorCode.NoError));
    }

    [Test]
    public async Task StreamOpen_ConnectionStaysPastTheKeepAliveTimeout()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address);
        await client.OpenSyncWithWideWindowsAsync(1);

        var closed = await client.ReadAnsweringPingsAsync(TimeSpan.FromSeconds(5));

        Assert.That(closed, Is.False);
        Assert.That(client.Frames.Any(f => f.Frame.Type == Http2FrameType.GoAway), Is.False);
    }
}
