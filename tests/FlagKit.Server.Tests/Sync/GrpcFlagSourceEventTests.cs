using System.Diagnostics;
using FlagKit.Protocol.V1;
using FlagKit.Sources;
using Google.Protobuf;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// The client's events are raised off the sync loop and outside the SDK's locks: a <c>FlagsChanged</c> handler that
/// blocks for 10 s does not hold up the next change, its ack to the server, a status read or a health check; events
/// still arrive in order, and a handler that throws breaks nothing. Real server on loopback, real gRPC.
/// </summary>
public sealed class GrpcFlagSourceEventTests
{
    private readonly List<IAsyncDisposable> _disposables = [];

    [TearDown]
    public async Task TearDown()
    {
        for (int i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        _disposables.Clear();
    }

    [Test]
    public async Task FlagsChanged_HandlerBlocksTenSeconds_NextWriteStillAppliedAndAckedPromptly()
    {
        TestFlagServer server = await TestFlagServer.StartAsync();
        _disposables.Add(server);
        (FlagClient client, GrpcFlagSource source) = await Connect(server);
        using var release = new ManualResetEventSlim();
        using var blocking = new ManualResetEventSlim();
        var seen = new List<long>();
        client.FlagsChanged += (_, _) => throw new InvalidOperationException("a buggy handler");
        client.FlagsChanged += (_, e) =>
        {
            lock (seen)
            {
                seen.Add(e.Revision);
            }

            blocking.Set();
            // The slow handler: a synchronous call that hangs for 10 s (released early at the end of the test).
            release.Wait(TimeSpan.FromSeconds(10));
        };
        _disposables.Add(new DisposeAction(release.Set));

        long r1 = await Put(server, "first");
        Assert.That(blocking.Wait(TimeSpan.FromSeconds(20)), Is.True, "the handler was called for the first write");
        var clock = Stopwatch.StartNew();
        long r2 = await Put(server, "second");
        while (await AckedRevisionAsync(server, source) != r2)
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)), $"the server lists revision {r2} as acked while the handler blocks");
            await Task.Delay(10);
        }

        TimeSpan ackedAfter = clock.Elapsed;

        Assert.That(client.Snapshot.Revision, Is.EqualTo(r2), "the second write is served while the first handler still blocks");
        Assert.That(client.IsEnabled("second"), Is.True);
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(source.LastReported.Status, Is.EqualTo(FlagClientStatus.Ready), "the status read a health check makes does not wait for the handler");
        lock (seen)
        {
            Assert.That(seen, Is.EqualTo(new[] { r1 }), "the second event waits its turn behind the blocked handler");
        }

        TestContext.Out.WriteLine($"second write applied and acked {ackedAfter.TotalMilliseconds:F0} ms after it was written, while a handler blocked");
        release.Set();
        await SyncWait.UntilAsync(() => { lock (seen) { return seen.Count == 2; } }, "the second event is raised once the handler returns");
        lock (seen)
        {
            Assert.That(seen, Is.EqualTo(new[] { r1, r2 }), "events in revision order");
        }
    }

    private async Task<(FlagClient Client, GrpcFlagSource Source)> Connect(TestFlagServer server)
    {
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = TestFlagServer.Environment,
            AppName = "event-tests",
            StartTimeout = TimeSpan.FromSeconds(10),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        });
        var client = new FlagClient(source, new FlagClientOptions { StartTimeout = TimeSpan.FromSeconds(11) });
        _disposables.Add(client);
        await client.StartAsync();
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        return (client, source);
    }

    private static async Task<long> Put(TestFlagServer server, string key) =>
        (await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8($$"""{ "key": "{{key}}", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
        })).Revision;

    // Asynchronous on purpose: the blocked handler holds one pool thread; a blocking call here would hold another.
    private static async Task<long> AckedRevisionAsync(TestFlagServer server, GrpcFlagSource source) =>
        (await server.Admin.ListInstancesAsync(new ListInstancesRequest { Environment = TestFlagServer.Environment }))
            .Instances.FirstOrDefault(i => i.InstanceId == source.InstanceId)?.AckedRevision ?? -1;

    private sealed class DisposeAction(Action action) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            action();
            return ValueTask.CompletedTask;
        }
    }
}
