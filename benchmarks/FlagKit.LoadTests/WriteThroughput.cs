using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlagKit.Protocol.V1;
using Google.Protobuf;

namespace FlagKit.LoadTests;

/// <summary>
/// Writes into one environment of a real server process (real SQLite file): how long a one-flag write takes from the
/// request to its durable answer, one at a time, and how many writes per second it sustains with several writers.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project benchmarks/FlagKit.LoadTests -- --writes [--flags 10000] [--latency-writes 300]
/// [--writers 4] [--seconds 20]</c>. The answer of a write is sent only after its transaction is durable, so the
/// client's round trip bounds request → durable from above (it adds the loopback gRPC call).
/// </remarks>
internal static class WriteThroughput
{
    public static async Task RunAsync(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int flags = Int("--flags", 10_000);
        int latencyWrites = Int("--latency-writes", 300);
        int writers = Int("--writers", 4);
        int seconds = Int("--seconds", 20);
        Console.WriteLine($"FlagKit write throughput: {flags} flags; {latencyWrites} sequential one-flag writes; {writers} writers for {seconds} s");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");

        string serverDll = Path.Combine(AppContext.BaseDirectory, "FlagKit.Server.dll");
        await using var server = await ServerProcess.StartAsync(serverDll, new Dictionary<string, string>());
        var seed = Stopwatch.StartNew();
        await server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = ServerProcess.Environment, FileJson = ByteString.CopyFromUtf8(File(flags)) });
        Console.WriteLine($"seeded {flags} flags in {seed.Elapsed.TotalMilliseconds:F0} ms");

        // Warm-up: the first writes JIT the path and, on a loaded state, sum its content digest once.
        for (int i = 0; i < 20; i++)
        {
            await server.Admin.PutDocumentAsync(Put(i % flags, i));
        }

        var sequential = new List<double>();
        for (int i = 0; i < latencyWrites; i++)
        {
            var watch = Stopwatch.StartNew();
            await server.Admin.PutDocumentAsync(Put(i * 7 % flags, 100 + i));
            sequential.Add(watch.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"one writer, one-flag writes, request -> durable answer: p50 {LoadFigures.Percentile(sequential, 50):F2} ms, p90 {LoadFigures.Percentile(sequential, 90):F2} ms, p99 {LoadFigures.Percentile(sequential, 99):F2} ms, max {sequential.Max():F2} ms ({latencyWrites} writes)");

        var all = new List<double>[writers];
        var stop = Stopwatch.StartNew();
        var cpuBefore = server.CpuTime;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var mine = all[w] = [];
            for (int i = 0; stop.Elapsed < TimeSpan.FromSeconds(seconds); i++)
            {
                var watch = Stopwatch.StartNew();
                await server.Admin.PutDocumentAsync(Put((i * writers + w) * 13 % flags, 10_000 + i));
                mine.Add(watch.Elapsed.TotalMilliseconds);
            }
        })));
        double elapsed = stop.Elapsed.TotalSeconds;
        var latencies = all.SelectMany(l => l).ToList();
        double cpu = (server.CpuTime - cpuBefore).TotalSeconds;
        Console.WriteLine(
            $"{writers} writers, {elapsed:F1} s: {latencies.Count / elapsed:F0} writes/s sustained; request -> durable answer p50 {LoadFigures.Percentile(latencies, 50):F2} ms, p99 {LoadFigures.Percentile(latencies, 99):F2} ms; server CPU {cpu / elapsed * 100:F0} % of one core");
    }

    // A one-flag write: the flag's rollout changes with every value, so every write commits.
    private static PutDocumentRequest Put(int flag, int value) => new()
    {
        Environment = ServerProcess.Environment,
        Kind = DocumentKind.Flag,
        Json = ByteString.CopyFromUtf8(Flag(flag, 1 + (value % 98))),
    };

    private static string File(int count)
    {
        var json = new StringBuilder("""{ "schema": 1, "segments": [ { "key": "vip", "included": ["acct-1"] } ], "flags": [""");
        for (int i = 0; i < count; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(Flag(i, 25));
        }

        return json.Append("] }").ToString();
    }

    // The load harness's large-environment flag: a rule with two conditions (a tenth also a segment) and a split.
    private static string Flag(int i, int rollout)
    {
        string extra = i % 10 == 0 ? """, { "attribute": "", "op": "inSegment", "values": ["vip"] }""" : "";
        return string.Create(CultureInfo.InvariantCulture, $$"""
            { "key": "flag-{{i:D5}}", "kind": "bool", "on": true, "description": "load test flag {{i}}", "tags": ["team-{{i % 20}}"],
              "variants": { "on": true, "off": false }, "offVariant": "off", "targets": { "on": ["acct-{{i}}"] },
              "rules": [ { "id": "r1", "conditions": [ { "attribute": "clientVersion", "op": "semverGte", "values": ["2.{{i % 7}}.0"] }, { "attribute": "app", "op": "in", "values": ["game-a", "game-b"] }{{extra}} ],
                           "split": { "variants": [ { "variant": "on", "weight": {{rollout}} }, { "variant": "off", "weight": {{100 - rollout}} } ] } } ],
              "defaultRule": { "variant": "off" } }
            """);
    }
}
