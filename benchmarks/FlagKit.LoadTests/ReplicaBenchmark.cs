using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;
using FlagKit.Sources;
using Google.Protobuf;

namespace FlagKit.LoadTests;

/// <summary>
/// Several server replicas (real processes) on one throwaway PostgreSQL cluster, with SDK clients spread over them:
/// write throughput, commit → applied latency at every client, and each replica's memory per stream, for each replica
/// count asked for. Figures and commands: docs/scale-out.md.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project benchmarks/FlagKit.LoadTests -- --replicas 1,3 [--clients 300] [--writers 6]
/// [--write-seconds 5] [--latency-writes 30]</c>. Needs PostgreSQL's binaries (Debian's <c>postgresql</c>, or
/// <c>FLAGKIT_PG_BIN</c>).
/// </remarks>
internal static class ReplicaBenchmark
{
    /// <summary>Runs the benchmark and prints a table.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int[] replicaCounts = [.. (Value("--replicas") ?? "1,3").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        int clients = Int("--clients", 300);
        int writers = Int("--writers", 6);
        int writeSeconds = Int("--write-seconds", 5);
        int latencyWrites = Int("--latency-writes", 30);
        Console.WriteLine($"FlagKit replica benchmark: replicas {string.Join("/", replicaCounts)}, {clients} SDK clients, {writers} writers x {writeSeconds} s, {latencyWrites} paced writes");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
        ThreadPool.SetMinThreads(64, 64);

        using var cluster = PostgresCluster.Start();
        var rows = new List<string>();
        foreach (int count in replicaCounts)
        {
            rows.Add(await RunOneAsync(cluster, count, clients, writers, writeSeconds, latencyWrites));
        }

        Console.WriteLine();
        Console.WriteLine("| replicas | SDK clients (per replica) | writes/s (ok, " + writers + " writers, 1 environment) | commit → applied p50 / p99 / max (ms) | all clients at the last write after (ms) | memory per stream (KB) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
        return 0;
    }

    private static async Task<string> RunOneAsync(PostgresCluster cluster, int replicaCount, int clientCount, int writerCount, int writeSeconds, int latencyWrites)
    {
        string serverDll = Path.Combine(AppContext.BaseDirectory, "FlagKit.Server.dll");
        var settings = new Dictionary<string, string>
        {
            ["FlagKit:Server:Store"] = "postgres",
            ["FlagKit:Server:PostgresConnectionString"] = cluster.CreateDatabase($"bench_r{replicaCount}"),
        };
        var replicas = new List<ServerProcess> { await ServerProcess.StartAsync(serverDll, settings) };
        replicas.AddRange(await Task.WhenAll(Enumerable.Range(1, replicaCount - 1).Select(_ => ServerProcess.StartAsync(serverDll, settings))));
        long[] idle = [.. replicas.Select(r => r.ResidentBytes)];
        using var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        var clients = Enumerable.Range(0, clientCount).Select(_ => ReplicaLoadClient.Start(replicas.Select(r => r.Address).ToList(), handler)).ToList();
        try
        {
            await WaitAsync(() => clients.All(c => c.Client.Status == FlagClientStatus.Ready), $"{clientCount} clients ready");
            int[] streams = [.. replicas.Select(r => clients.Count(c => c.Source.CurrentServerUrl == r.Address))];
            await Task.Delay(1000);
            double perStreamKb = replicas.Select((r, i) => streams[i] == 0 ? 0 : (r.ResidentBytes - idle[i]) / 1024.0 / streams[i]).Max();

            // Commit → applied: paced writes, each on the next replica; every client's FlagsChanged time minus the commit time.
            var latencies = new List<double>();
            long revision = 0;
            for (int i = 0; i < latencyWrites; i++)
            {
                clients.ForEach(c => c.Reset());
                WriteResponse write = await replicas[i % replicaCount].Admin.PutDocumentAsync(LoadFigures.Put($"latency", i));
                revision = write.Revision;
                DateTimeOffset committed = write.CommittedAt.ToDateTimeOffset();
                await WaitAsync(() => clients.All(c => c.AppliedAt(write.Revision) is not null), $"every client at revision {write.Revision}");
                latencies.AddRange(clients.Select(c => (c.AppliedAt(write.Revision)!.Value - committed).TotalMilliseconds));
                await Task.Delay(100);
            }

            // Throughput: writers bound to the replicas in turn, all on one environment (the database serializes them).
            long acknowledged = 0;
            long lastRevision = revision;
            var stop = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, writerCount).Select(w => Task.Run(async () =>
            {
                var admin = replicas[w % replicaCount].Admin;
                for (int n = 0; stop.Elapsed < TimeSpan.FromSeconds(writeSeconds); n++)
                {
                    WriteResponse answer = await admin.PutDocumentAsync(LoadFigures.Put($"tp-{w}-{n}", n));
                    Interlocked.Increment(ref acknowledged);
                    InterlockedMax(ref lastRevision, answer.Revision);
                }
            })));
            double seconds = stop.Elapsed.TotalSeconds;
            var converge = Stopwatch.StartNew();
            long final = Interlocked.Read(ref lastRevision);
            await WaitAsync(() => clients.All(c => c.Client.Snapshot.Revision >= final), $"every client at revision {final}");
            double convergeMs = converge.Elapsed.TotalMilliseconds;

            string row = string.Create(CultureInfo.InvariantCulture,
                $"| {replicaCount} | {clientCount} ({string.Join(" / ", streams)}) | {acknowledged / seconds:F0} | {LoadFigures.Percentile(latencies, 50):F1} / {LoadFigures.Percentile(latencies, 99):F1} / {latencies.Max():F1} | {convergeMs:F0} | {perStreamKb:F0} |");
            Console.WriteLine(row);
            return row;
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
            foreach (var r in replicas)
            {
                await r.DisposeAsync();
            }
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
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
}
