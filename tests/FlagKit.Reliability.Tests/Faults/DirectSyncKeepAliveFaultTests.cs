using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Reliability.Tests.Intruders;
using FlagKit.Server.Sync.Direct;
using FlagKit.Server.Tests;
using Microsoft.Extensions.Logging;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>
/// A real SDK's Sync connection (served by the direct path) black-holed by <see cref="FaultProxy"/>: nothing reaches
/// the server any more and nothing of it reaches the SDK. The SDK moves to a new connection by itself; the server must
/// not keep the dead one (its stream, its subscriber) forever: its keep-alive PING goes unanswered and the connection is
/// closed after Kestrel's KeepAlivePingDelay + KeepAlivePingTimeout, which the server derives from its heartbeat.
/// </summary>
public sealed class DirectSyncKeepAliveFaultTests
{
    private const int FlagCount = 20;

    [Test]
    public async Task SyncConnectionBlackholed_ServerClosesItAfterTheKeepAliveTimeoutAndTheSdkConverges()
    {
        var log = new LogCapture();
        await using TestFlagServer server = await TestFlagServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["FlagKit:Server:HeartbeatInterval"] = "00:00:00.250",
                ["Logging:LogLevel:FlagKit.Server.Sync.Direct"] = "Information",
            },
            configure: builder => builder.Logging.AddProvider(log));
        await using FaultProxy proxy = FaultProxy.Start(server.Address);
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, FlagCount);
        var options = SdkClient.Options(proxy.Address, TestFlagServer.SdkKey, TestFlagServer.Environment);
        await using SdkClient sdk = await SdkClient.StartAsync(options);
        await Wait.UntilAsync(() => Generations.Of(sdk.Client.Snapshot, FlagCount) == 1, "the client serves generation 1");
        var router = server.GetService<DirectSyncRouter>();
        Assert.That(router.ConnectionsServed, Is.EqualTo(1), "the SDK's connection is served by the direct path");

        Assert.That(proxy.FaultAll(FaultKind.Stall), Is.EqualTo(1));
        var write = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 2, FlagCount);

        await Wait.UntilAsync(() => log.Messages.Any(m => m.Contains("keep-alive", StringComparison.Ordinal)), "the server closes the black-holed connection", TimeSpan.FromSeconds(15));
        await Wait.UntilAsync(() => sdk.Client.Snapshot.Revision == write.Revision, "the SDK converges on a new connection");
        Assert.That(router.ConnectionsServed, Is.GreaterThanOrEqualTo(2));
    }
}
