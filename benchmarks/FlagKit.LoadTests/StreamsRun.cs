using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace FlagKit.LoadTests;

/// <summary>
/// <c>--streams N</c>: what one server pays per connected stream. N raw Sync streams (Hello, then read; no SDK behind
/// them, so the harness stays cheap), multiplexed over a few HTTP/2 connections from this process. Measures the
/// server's resident memory per idle stream, its CPU while the streams idle (heartbeats), and each change's fan-out:
/// durable (the write's committed_at) → the last of the N streams written, from the server's fan-out log.
/// </summary>
internal static class StreamsRun
{
    /// <summary>Streams opened before the baseline is read: the first ones pay for JIT and pools, not per stream.</summary>
    private const int Warmup = 200;

    /// <summary>
    /// Writes fanned out to the first streams before the baseline is read: a path run once per write (the admin write,
    /// the store, the publish) is compiled at its last tier only after some 60–100 calls, and without these the JIT's
    /// tiering thread took 30–40 % of the server's CPU during the measured writes (a live server did that long ago).
    /// </summary>
    private const int WarmupWrites = 150;

    /// <summary>
    /// Writes fanned out to all the streams before memory is read and the measured phases: the pools take their size,
    /// and the admin write path reaches its last JIT tier (with 20, the JIT's tiering thread still took half of the
    /// server's CPU during the measured writes, recompiling Kestrel's and the write pipeline's methods with PGO).
    /// </summary>
    private const int WarmupWritesAll = 80;

    public static async Task<List<string>> RunAsync(string serverDll, int streams, int writes, int idleSeconds, double heartbeatSeconds)
    {
        var fanout = new FanoutLogReader();
        await using var server = await ServerProcess.StartAsync(serverDll, new Dictionary<string, string>
        {
            ["FlagKit:Server:HeartbeatInterval"] = TimeSpan.FromSeconds(heartbeatSeconds).ToString("c", CultureInfo.InvariantCulture),
            ["Logging:LogLevel:" + FanoutLogReader.Category] = "Information",
            ["Logging:Console:FormatterName"] = "simple",
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        }, fanout.OnLine);
        long revision = (await server.Admin.PutDocumentAsync(LoadFigures.Put("streams", 0))).Revision;
        Console.Error.WriteLine($"server process {server.ProcessId}; load average {LoadAverage()}");

        // The 10 000 simulated clients live in this process, on the server's cores: they run below the server's
        // priority (nice 10, the server keeps 0), as clients on other machines would not take its CPU. The harness's
        // own reading of the streams is reported apart (durable -> last stream received).
        Process.GetCurrentProcess().PriorityClass = ProcessPriorityClass.BelowNormal;
        string loadBefore = LoadAverage();

        using var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 64 * 1024 * 1024 });
        var client = new FlagSync.FlagSyncClient(channel);
        var receipts = new Receipts();
        var open = new List<RawStream>(streams);
        using var stop = new CancellationTokenSource();

        int written = 0;
        await OpenAsync(Math.Min(Warmup, streams));
        await WarmUpAsync(WarmupWrites);
        double quietSeconds = await QuietAsync(server);
        long baseline = Settled(server);
        int baseStreams = open.Count;
        var connect = Stopwatch.StartNew();
        await OpenAsync(streams);
        double connectSeconds = connect.Elapsed.TotalSeconds;
        await WarmUpAsync(WarmupWritesAll);
        quietSeconds += await QuietAsync(server);
        long connected = Settled(server);
        double perStream = (connected - baseline) / 1024.0 / Math.Max(1, open.Count - baseStreams);

        // Idle: only heartbeats (and Kestrel's per-connection pings) go out. Said on stderr so that a heap walk or perf
        // of the server process can be taken in this window.
        Console.Error.WriteLine($"idle phase: {open.Count} streams connected, {idleSeconds} s");
        long heartbeatsBefore = receipts.Heartbeats;
        TimeSpan cpuBefore = server.CpuTime;
        var idle = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        double idleCpu = (server.CpuTime - cpuBefore).TotalSeconds / idle.Elapsed.TotalSeconds;
        long heartbeats = receipts.Heartbeats - heartbeatsBefore;
        long afterIdle = Settled(server);
        double perStreamIdle = (afterIdle - baseline) / 1024.0 / Math.Max(1, open.Count - baseStreams);

        // Fan-out: one write at a time, each waited for until every stream has its Transferred.
        var durableToLastWritten = new List<double>();
        var publishToLastWritten = new List<double>();
        var durableToLastReceived = new List<double>();
        var requestToDurable = new List<double>();
        var withCollections = new List<(double Ms, (int Gen0, int Gen1, int Gen2) Gcs, double PausedMs)>();
        TimeSpan cpuWrites = server.CpuTime;
        TimeSpan harnessCpuWrites = Process.GetCurrentProcess().TotalProcessorTime;
        var writesClock = Stopwatch.StartNew();
        for (int i = 1; i <= writes; i++)
        {
            DateTimeOffset requested = DateTimeOffset.UtcNow;
            (WriteResponse write, FanoutRecord record) = await WriteAndWaitAsync();
            DateTimeOffset durable = write.CommittedAt.ToDateTimeOffset();
            requestToDurable.Add((durable - requested).TotalMilliseconds);
            durableToLastWritten.Add((record.LastWritten - durable).TotalMilliseconds);
            withCollections.Add(((record.LastWritten - durable).TotalMilliseconds, record.Collections, record.PausedMs));
            publishToLastWritten.Add((record.LastWritten - record.Published).TotalMilliseconds);
            durableToLastReceived.Add((receipts.Last(write.Revision) - durable).TotalMilliseconds);
            revision = write.Revision;
        }

        double writesCpu = (server.CpuTime - cpuWrites).TotalSeconds;
        double harnessWritesCpu = (Process.GetCurrentProcess().TotalProcessorTime - harnessCpuWrites).TotalSeconds;
        double writesWall = writesClock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        foreach (RawStream s in open)
        {
            s.Dispose();
        }

        return
        [
            $"streams run: {open.Count} raw Sync streams over HTTP/2 from one process ({connectSeconds:F1} s to connect), heartbeat every {heartbeatSeconds:0.#} s; {quietSeconds:F0} s waited for the server to go quiet after the warm-ups",
            $"  server memory: {LoadFigures.Mb(baseline)} with {baseStreams} streams, {LoadFigures.Mb(connected)} with {open.Count}: {perStream:F1} KB per idle stream (resident set delta)",
            $"  after {idleSeconds} s idle: {LoadFigures.Mb(afterIdle)}: {perStreamIdle:F1} KB per idle stream",
            $"  idle {idleSeconds} s: server CPU {100 * idleCpu:F2} % of one core; {heartbeats} heartbeats received ({heartbeats / (double)idleSeconds:F0}/s)",
            $"  fan-out, {writes} one-flag writes (after {WarmupWrites} to {baseStreams} streams and {WarmupWritesAll} to all, not measured), each to all {open.Count} streams (server clock; last stream = last Transferred written):",
            $"    request->durable: p50 {LoadFigures.Percentile(requestToDurable, 50):F1} ms, p99 {LoadFigures.Percentile(requestToDurable, 99):F1} ms",
            $"    durable->last stream written: p50 {LoadFigures.Percentile(durableToLastWritten, 50):F1} ms, p99 {LoadFigures.Percentile(durableToLastWritten, 99):F1} ms, max {durableToLastWritten.Max():F1} ms",
            $"    of those, writes during which the server collected garbage: gen0 {withCollections.Count(w => w.Gcs.Gen0 > 0)}, gen1 {withCollections.Count(w => w.Gcs.Gen1 > 0)}, gen2 {withCollections.Count(w => w.Gcs.Gen2 > 0)}; the slowest five: {string.Join(", ", withCollections.OrderByDescending(w => w.Ms).Take(5).Select(w => $"{w.Ms:F1} ms (gc {w.Gcs.Gen0}/{w.Gcs.Gen1}/{w.Gcs.Gen2}, paused {w.PausedMs:F1} ms)"))}",
            $"    publish->last stream written: p50 {LoadFigures.Percentile(publishToLastWritten, 50):F1} ms, p99 {LoadFigures.Percentile(publishToLastWritten, 99):F1} ms",
            $"    durable->last stream received (harness): p50 {LoadFigures.Percentile(durableToLastReceived, 50):F1} ms, p99 {LoadFigures.Percentile(durableToLastReceived, 99):F1} ms",
            $"    server CPU over the writes: {writesCpu:F1} s in {writesWall:F1} s ({1000 * writesCpu / Math.Max(1, writes):F0} ms per write); this harness (reading all {open.Count} streams) {harnessWritesCpu:F1} s",
            $"  load average (1/5/15 min): {loadBefore} at the start, {LoadAverage()} at the end",
        ];

        async Task<(WriteResponse Write, FanoutRecord Record)> WriteAndWaitAsync()
        {
            WriteResponse write = await server.Admin.PutDocumentAsync(LoadFigures.Put("streams", ++written));
            await Wait(() => receipts.Count(write.Revision) >= open.Count, $"every stream received revision {write.Revision}");
            return (write, await fanout.WaitAsync(write.Revision));
        }

        async Task WarmUpAsync(int count)
        {
            for (int i = 0; i < count; i++)
            {
                await WriteAndWaitAsync();
            }
        }

        async Task OpenAsync(int count)
        {
            while (open.Count < count)
            {
                int wave = Math.Min(count - open.Count, 500);
                var batch = new List<RawStream>(wave);
                for (int i = 0; i < wave; i++)
                {
                    batch.Add(RawStream.Start(client, open.Count + i, receipts, stop.Token));
                }

                open.AddRange(batch);
                await Wait(() => batch.All(s => s.Synced), $"{open.Count} streams synced");
            }
        }
    }

    /// <summary>
    /// Waits (at least 3 s, at most 60 s) until the server spends under 3 % of a core in a second: the JIT's tiering
    /// thread has compiled what the warm-up made hot, and collections after it are done.
    /// </summary>
    /// <returns>Seconds waited.</returns>
    private static async Task<double> QuietAsync(ServerProcess server)
    {
        var clock = Stopwatch.StartNew();
        await Task.Delay(2000);
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            TimeSpan before = server.CpuTime;
            await Task.Delay(1000);
            if ((server.CpuTime - before).TotalSeconds < 0.03)
            {
                break;
            }
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static long Settled(ServerProcess server)
    {
        // The resident set after a quiet moment; the smallest of three reads (a collection may be running).
        long best = long.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            best = Math.Min(best, server.ResidentBytes);
            Thread.Sleep(500);
        }

        return best;
    }

    private static async Task Wait(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException("timed out waiting until " + what);
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Per revision: how many streams received its Transferred, and when the last one did.</summary>
    private sealed class Receipts
    {
        private readonly ConcurrentDictionary<long, Receipt> _byRevision = new();
        private long _heartbeats;

        public long Heartbeats => Interlocked.Read(ref _heartbeats);

        public void Heartbeat() => Interlocked.Increment(ref _heartbeats);

        public void Transferred(long revision)
        {
            Receipt r = _byRevision.GetOrAdd(revision, static _ => new Receipt());
            long now = DateTimeOffset.UtcNow.UtcTicks;
            long seen;
            while ((seen = Interlocked.Read(ref r.LastTicks)) < now && Interlocked.CompareExchange(ref r.LastTicks, now, seen) != seen)
            {
            }

            Interlocked.Increment(ref r.Count);
        }

        public long Count(long revision) => _byRevision.TryGetValue(revision, out Receipt? r) ? Interlocked.Read(ref r.Count) : 0;

        public DateTimeOffset Last(long revision) => new(Interlocked.Read(ref _byRevision[revision].LastTicks), TimeSpan.Zero);

        private sealed class Receipt
        {
            public long Count;
            public long LastTicks;
        }
    }

    /// <summary>One Sync stream with nothing behind it but a read loop.</summary>
    private sealed class RawStream : IDisposable
    {
        private readonly AsyncDuplexStreamingCall<SyncRequest, SyncResponse> _call;
        private volatile bool _synced;

        private RawStream(AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call) => _call = call;

        public bool Synced => _synced;

        public static RawStream Start(FlagSync.FlagSyncClient client, int index, Receipts receipts, CancellationToken stop)
        {
            var call = client.Sync(new Metadata { { "authorization", "Bearer " + ServerProcess.SdkKey } }, cancellationToken: stop);
            var stream = new RawStream(call);
            _ = stream.RunAsync(index, receipts);
            return stream;
        }

        public void Dispose() => _call.Dispose();

        private async Task RunAsync(int index, Receipts receipts)
        {
            var hello = new Hello
            {
                SdkName = "load-raw",
                SdkVersion = "1.0.0",
                InstanceId = "raw-" + index.ToString(CultureInfo.InvariantCulture),
                AppName = "load-streams",
                AppVersion = "1.0.0",
                Environment = ServerProcess.Environment,
            };
            hello.ProtocolVersions.Add(1);
            hello.SchemaVersions.Add(FlagFile.CurrentSchema);
            try
            {
                await _call.RequestStream.WriteAsync(new SyncRequest { Hello = hello });
                await foreach (SyncResponse response in _call.ResponseStream.ReadAllAsync())
                {
                    switch (response.KindCase)
                    {
                        case SyncResponse.KindOneofCase.Transferred:
                            receipts.Transferred(response.Transferred.Revision);
                            _synced = true;
                            break;
                        case SyncResponse.KindOneofCase.Heartbeat:
                            receipts.Heartbeat();
                            break;
                    }
                }
            }
            catch (RpcException)
            {
                // Cancelled at the end of the run, or the server went away.
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
