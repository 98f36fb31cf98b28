using System.Diagnostics;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>
/// A real server, a real SDK, and the <see cref="FaultProxy"/> between them: the connection is dropped, reset,
/// stalled (silent for longer than three heartbeats) or delayed, in the middle of a full snapshot and in the middle
/// of a delta. The SDK must keep serving its last complete snapshot (never a torn one), reconnect, and converge.
/// </summary>
/// <remarks>
/// Each batch is a whole-environment "generation" of <see cref="FlagCount"/> padded flags (~70 KB, cut by the server into
/// 4 KB messages), so a cut after 20 KB lands inside the batch, mid HTTP/2 frame. Every snapshot the client publishes
/// is checked to hold one generation only.
/// </remarks>
[TestFixture]
public sealed class StreamFaultTests
{
    private const int FlagCount = 250;
    private const long CutAfterBytes = 20_000;

    // Sooner than the default keep-alive ping (20 + 10 s) could notice a dead connection: convergence after a stall
    // within it shows the source dropped the stalled connection itself. Generous for a loaded machine otherwise.
    private static readonly TimeSpan BeforeKeepAlive = TimeSpan.FromSeconds(15);

    private static readonly Dictionary<string, string?> ServerSettings = new()
    {
        ["FlagKit:Server:HeartbeatInterval"] = "00:00:00.250",
        ["FlagKit:Server:BatchChunkBytes"] = "4096",
        ["FlagKit:Server:MaxDocumentBytes"] = "2048",
        // A client that missed two revisions cannot resume: it gets a full snapshot.
        ["FlagKit:Server:ChangeLogCapacity"] = "1",
    };

    [TestCase(FaultKind.Drop)]
    [TestCase(FaultKind.Reset)]
    [TestCase(FaultKind.Stall)]
    public async Task CutMidDelta_KeepsLastCompleteSnapshot_ReconnectsAndConverges(FaultKind fault)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(ServerSettings);
        await using FaultProxy proxy = FaultProxy.Start(server.Address);
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, FlagCount);
        await using SdkClient sdk = await SdkClient.StartAsync(OptionsFor(fault, proxy.Address));
        await Wait.UntilAsync(() => Generations.Of(sdk.Client.Snapshot, FlagCount) == 1, "the client serves generation 1");
        long sessionsBefore = sdk.Source.Diagnostics.Sessions;
        using var watcher = new TornSnapshotWatcher(sdk.Client, FlagCount);

        Task<long> cut = proxy.ArmCut(fault, CutAfterBytes);
        WriteResponse write = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 2, FlagCount);
        long cutAt = await cut.WithDeadline("the proxy to cut the delta");

        // The batch was cut: until a new session completes it, generation 1 serves, whole.
        Assert.That(Generations.Of(sdk.Client.Snapshot, FlagCount), Is.AnyOf(1, 2));
        long recovery = Stopwatch.GetTimestamp();
        await Wait.UntilAsync(() => sdk.Client.Snapshot.Revision == write.Revision, () => $"the client converges to revision {write.Revision} (at {sdk.Client.Snapshot.Revision}; last disconnect: {sdk.Source.Diagnostics.LastDisconnect})", BeforeKeepAlive);
        TimeSpan took = Stopwatch.GetElapsedTime(recovery);

        Assert.That(Generations.Of(sdk.Client.Snapshot, FlagCount), Is.EqualTo(2));
        Assert.That(sdk.Source.Diagnostics.Sessions, Is.GreaterThan(sessionsBefore), "the SDK opened a new stream after the fault");
        watcher.AssertNoneTorn();
        Assert.That(sdk.Published.Select(s => Generations.Of(s, FlagCount)), Has.None.EqualTo(-1));
        TestContext.Out.WriteLine($"{fault} after {cutAt} bytes of the delta: converged {took.TotalMilliseconds:F0} ms later; sessions {sessionsBefore} -> {sdk.Source.Diagnostics.Sessions}; last disconnect: {sdk.Source.Diagnostics.LastDisconnect}");
    }

    [TestCase(FaultKind.Drop)]
    [TestCase(FaultKind.Reset)]
    [TestCase(FaultKind.Stall)]
    public async Task CutMidSnapshot_KeepsLastCompleteSnapshot_ReconnectsAndConverges(FaultKind fault)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(ServerSettings);
        await using FaultProxy proxy = FaultProxy.Start(server.Address);
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, FlagCount);
        await using SdkClient sdk = await SdkClient.StartAsync(OptionsFor(fault, proxy.Address));
        await Wait.UntilAsync(() => Generations.Of(sdk.Client.Snapshot, FlagCount) == 1, "the client serves generation 1");
        using var watcher = new TornSnapshotWatcher(sdk.Client, FlagCount);

        // Cut the client off while two revisions pass (more than the server's change log keeps), so that it must take
        // a full snapshot when it comes back; cut that snapshot in the middle.
        proxy.RefuseNewConnections = true;
        proxy.FaultAll(FaultKind.Reset);
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 2, FlagCount);
        WriteResponse last = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 3, FlagCount);
        Task<long> cut = proxy.ArmCut(fault, CutAfterBytes);
        long sessionsBefore = sdk.Source.Diagnostics.Sessions;
        proxy.RefuseNewConnections = false;
        long cutAt = await cut.WithDeadline("the proxy to cut the snapshot");

        Assert.That(Generations.Of(sdk.Client.Snapshot, FlagCount), Is.AnyOf(1, 3), "after the cut: generation 1 whole (or already 3 from a later session)");
        long recovery = Stopwatch.GetTimestamp();
        await Wait.UntilAsync(() => sdk.Client.Snapshot.Revision == last.Revision, () => $"the client converges to revision {last.Revision} (at {sdk.Client.Snapshot.Revision}; last disconnect: {sdk.Source.Diagnostics.LastDisconnect})", BeforeKeepAlive);
        TimeSpan took = Stopwatch.GetElapsedTime(recovery);

        Assert.That(Generations.Of(sdk.Client.Snapshot, FlagCount), Is.EqualTo(3));
        Assert.That(sdk.Source.Diagnostics.LastBatch!.Kind, Is.EqualTo(FlagKit.Sources.GrpcSyncBatchKind.Snapshot), "it resumed with a full snapshot");
        watcher.AssertNoneTorn();
        Assert.That(sdk.Published.Select(s => Generations.Of(s, FlagCount)), Is.All.AnyOf(1, 3), "generation 2 was never seen, and nothing torn");
        TestContext.Out.WriteLine($"{fault} after {cutAt} bytes of the snapshot: converged {took.TotalMilliseconds:F0} ms later; sessions {sessionsBefore} -> {sdk.Source.Diagnostics.Sessions}; last disconnect: {sdk.Source.Diagnostics.LastDisconnect}");
    }

    [Test]
    public async Task DelayedLink_EveryChangeArrivesInOrder_NoSpuriousReconnect()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(ServerSettings);
        await using FaultProxy proxy = FaultProxy.Start(server.Address);
        proxy.Delay = TimeSpan.FromMilliseconds(300);
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, FlagCount);
        await using SdkClient sdk = await SdkClient.StartAsync(SdkClient.Options(proxy.Address, TestFlagServer.SdkKey, TestFlagServer.Environment));
        await Wait.UntilAsync(() => Generations.Of(sdk.Client.Snapshot, FlagCount) == 1, "the client serves generation 1");
        using var watcher = new TornSnapshotWatcher(sdk.Client, FlagCount);
        long sessions = sdk.Source.Diagnostics.Sessions;

        WriteResponse last = null!;
        for (int generation = 2; generation <= 6; generation++)
        {
            last = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, generation, FlagCount);
        }

        await Wait.UntilAsync(() => sdk.Client.Snapshot.Revision == last.Revision, () => $"the client converges to revision {last.Revision} (at {sdk.Client.Snapshot.Revision})");
        Assert.That(Generations.Of(sdk.Client.Snapshot, FlagCount), Is.EqualTo(6));
        Assert.That(sdk.Source.Diagnostics.Sessions, Is.EqualTo(sessions), "300 ms of latency (more than a heartbeat interval) is not a dead stream");
        List<long> revisions = [.. sdk.Published.Select(s => s.Revision)];
        Assert.That(revisions, Is.Ordered.Ascending.And.Unique);
        watcher.AssertNoneTorn();
    }

    [Test]
    public async Task ServerUnreachableAtStart_ThenReachable_StartsEmptyThenConverges()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(ServerSettings);
        await using FaultProxy proxy = FaultProxy.Start(server.Address);
        WriteResponse write = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, FlagCount);
        proxy.RefuseNewConnections = true;
        GrpcFlagSourceOptionsStartingFast(out var options, proxy.Address);
        await using SdkClient sdk = await SdkClient.StartAsync(options);
        await Wait.UntilAsync(() => sdk.Source.Diagnostics.Sessions >= 3, "the SDK retried a few times");

        Assert.That(sdk.Client.Snapshot.Revision, Is.Zero);
        Assert.That(sdk.Client.GetString(Generations.Key(0), defaultValue: "caller-default"), Is.EqualTo("caller-default"));
        proxy.RefuseNewConnections = false;
        await Wait.UntilAsync(() => sdk.Client.Snapshot.Revision == write.Revision, "the client converges once the server is reachable");
        // The snapshot is published, then the status: a reader between the two sees the new flags still 'Starting'.
        await Wait.UntilAsync(() => sdk.Client.Status == FlagClientStatus.Ready, () => $"the client is Ready (is {sdk.Client.Status})");
    }

    /// <summary>
    /// For a stall, a handler with fast HTTP/2 keep-alive pings: the SDK's heartbeat watchdog sees the dead stream after
    /// three heartbeats, but its reconnect goes over the same (black-holed) HTTP/2 connection until the handler's
    /// keep-alive ping declares it dead, 20 s + 10 s with the default handler (a finding, see docs/reliability.md).
    /// </summary>
    private static FlagKit.Sources.GrpcFlagSourceOptions OptionsFor(FaultKind fault, Uri address)
    {
        // Every fault runs with the source's own default handler. For a stall that matters: the stalled connection
        // looks open to the socket, and the default keep-alive ping needs 20 + 10 s to notice; the source must drop
        // the connection itself when its watchdog fires (3 missed heartbeats) and converge well before that.
        _ = fault;
        return SdkClient.Options(address, TestFlagServer.SdkKey, TestFlagServer.Environment);
    }

    private static void GrpcFlagSourceOptionsStartingFast(out FlagKit.Sources.GrpcFlagSourceOptions options, Uri address)
    {
        options = SdkClient.Options(address, TestFlagServer.SdkKey, TestFlagServer.Environment);
        options.StartTimeout = TimeSpan.FromMilliseconds(200);
    }

    /// <summary>Samples the client's snapshot on a background thread and remembers any that mixes generations.</summary>
    private sealed class TornSnapshotWatcher : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        private volatile FlagSnapshot? _torn;
        private long _samples;

        public TornSnapshotWatcher(FlagClient client, int flagCount)
        {
            _thread = new Thread(() =>
            {
                FlagSnapshot? last = null;
                while (!_stop.IsCancellationRequested)
                {
                    FlagSnapshot snapshot = client.Snapshot;
                    if (!ReferenceEquals(snapshot, last))
                    {
                        last = snapshot;
                        Interlocked.Increment(ref _samples);
                        if (Generations.Of(snapshot, flagCount) < 0)
                        {
                            _torn = snapshot;
                        }
                    }

                    Thread.Sleep(1);
                }
            }) { IsBackground = true, Name = "torn-snapshot-watcher" };
            _thread.Start();
        }

        public void AssertNoneTorn()
        {
            Assert.That(_torn, Is.Null, () => $"a torn snapshot was served: {_torn}");
            Assert.That(Interlocked.Read(ref _samples), Is.GreaterThan(0));
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join();
            _stop.Dispose();
        }
    }
}
