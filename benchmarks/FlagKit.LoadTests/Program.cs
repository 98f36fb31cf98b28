// FlagKit load harness: many real SDK clients (FlagClient + GrpcFlagSource) against one real server process.
// Not BenchmarkDotNet: this measures a distributed system (propagation, acks, server CPU/memory), not a method.
//
//   dotnet run -c Release --project benchmarks/FlagKit.LoadTests -- [--clients 1000] [--rate 10] [--seconds 10]
//       [--ack-clients 1,100,1000] [--ack-writes 20] [--flags 10000] [--skip-large | --only-large]
//   dotnet run -c Release --project benchmarks/FlagKit.LoadTests -- --streams 10000 [--ack-writes 20] [--idle-seconds 60] [--heartbeat-seconds 15]
//       (raw streams only: server memory per idle stream, heartbeat CPU, fan-out durable -> last stream written)
//   dotnet run -c Release --project benchmarks/FlagKit.LoadTests -- --processes 4 [--clients 1000] [--rate 10] [--seconds 10]
//       (the propagation run with the SDK clients in N child processes; request->durable, durable->last stream written,
//        and per process last stream written->applied)
//   dotnet run -c Release --project benchmarks/FlagKit.LoadTests -- --replicas 1,3 [--clients 300] (docs/scale-out.md)
//
// Figures and the commands that produced them: docs/reliability.md.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlagKit;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.LoadTests;
using FlagKit.Protocol.V1;
using FlagKit.Sources;
using Google.Protobuf;
using static FlagKit.LoadTests.LoadFigures;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Contains("--child"))
{
    // A child of --processes N: plays its share of the SDK clients.
    string? Arg(string name) => Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    return await ClientsChild.RunAsync(new Uri(Arg("--server")!), int.Parse(Arg("--clients")!, CultureInfo.InvariantCulture));
}

if (args.Contains("--replicas"))
{
    // Several server replicas on one PostgreSQL database: see ReplicaBenchmark.cs and docs/scale-out.md.
    return await ReplicaBenchmark.RunAsync(args);
}

if (args.Contains("--writes"))
{
    // Write latency and sustained writes/s into one environment (WriteThroughput.cs).
    await WriteThroughput.RunAsync(args);
    return 0;
}

var options = Args.Parse(args);
ThreadPool.SetMinThreads(Math.Max(64, Environment.ProcessorCount * 8), Math.Max(64, Environment.ProcessorCount * 8));
Console.WriteLine(options switch
{
    { Streams: > 0 } => $"FlagKit load harness: {options.Streams} raw streams; {options.AckWrites} writes; idle {options.IdleSeconds} s",
    { Processes: > 0 } => $"FlagKit load harness: {options.Clients} clients in {options.Processes} processes, {options.Rate} changes/s for {options.Seconds} s",
    _ => $"FlagKit load harness: {options.Clients} clients, {options.Rate} changes/s for {options.Seconds} s; ack phase {string.Join("/", options.AckClients)} clients x {options.AckWrites} writes; {options.Flags} flags",
});
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");

string serverDll = Path.Combine(AppContext.BaseDirectory, "FlagKit.Server.dll");
if (options.Streams > 0)
{
    // What one server pays per connected stream: raw streams only (no SDK clients), then exit.
    List<string> streamLines = await StreamsRun.RunAsync(serverDll, options.Streams, options.AckWrites, options.IdleSeconds, options.HeartbeatSeconds);
    Console.WriteLine();
    Console.WriteLine("summary:");
    streamLines.ForEach(Console.WriteLine);
    return 0;
}

if (options.Processes > 0)
{
    // The propagation run with the SDK clients spread over child processes, each phase reported on its own.
    List<string> processLines = await ProcessesRun.RunAsync(serverDll, options.Processes, options.Clients, options.Rate, options.Seconds);
    Console.WriteLine();
    Console.WriteLine("summary:");
    processLines.ForEach(Console.WriteLine);
    return 0;
}

await using var server = await ServerProcess.StartAsync(serverDll, new Dictionary<string, string>());
long serverIdle = server.ResidentBytes;

// One SocketsHttpHandler for every client: HTTP/2 multiplexes the streams over a few TCP connections (Kestrel allows
// 100 streams per connection; EnableMultipleHttp2Connections opens another when one is full). Each client still has
// its own GrpcChannel, GrpcFlagSource and FlagClient, exactly as separate services would.
using var shared = new SocketsHttpHandler
{
    EnableMultipleHttp2Connections = true,
    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
    KeepAlivePingDelay = TimeSpan.FromSeconds(20),
    KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
};

var clients = new List<LoadClient>();
var report = new StringBuilder();

if (options.OnlyLarge)
{
    goto Large;
}

// 1. commit -> ack (ListInstances) for 1, 100, 1000 clients: sequential writes, each waited for until every client acked.
long revision = (await server.Admin.PutDocumentAsync(Put("load", 0))).Revision;
foreach (int count in options.AckClients)
{
    await ConnectAsync(count);
    await WaitAsync(() => clients.All(c => c.Client.Snapshot.Revision >= revision), $"{count} clients on revision {revision}");
    var latencies = new List<double>();
    var durableToSent = new List<double>();
    var sentToAck = new List<double>();
    var durableToAck = new List<double>();
    var commitToDurable = new List<double>();
    for (int i = 1; i <= options.AckWrites; i++)
    {
        WriteResponse write = await server.Admin.PutDocumentAsync(Put("load", i));
        DateTimeOffset committed = await CommitTimeAsync(write.Revision);
        ListInstancesResponse instances;
        var poll = Stopwatch.StartNew();
        while (true)
        {
            instances = await server.Admin.ListInstancesAsync(new ListInstancesRequest { Environment = ServerProcess.Environment });
            if (instances.Instances.Count >= count && instances.Instances.All(x => x.AckedRevision >= write.Revision))
            {
                break;
            }

            if (poll.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"not every client acked revision {write.Revision}");
            }

            await Task.Delay(5);
        }

        latencies.AddRange(instances.Instances.Select(x => (x.AckedAt.ToDateTimeOffset() - committed).TotalMilliseconds));

        // The same path cut where the server can see it: the write durable in the store (committed_at), the last frame
        // of the revision written to each stream (sent_at), the SDK's ack (acked_at). All on the server's clock.
        DateTimeOffset durable = write.CommittedAt.ToDateTimeOffset();
        commitToDurable.Add((durable - committed).TotalMilliseconds);
        foreach (InstanceInfo instance in instances.Instances.Where(x => x.SentRevision == write.Revision))
        {
            durableToSent.Add((instance.SentAt.ToDateTimeOffset() - durable).TotalMilliseconds);
            sentToAck.Add((instance.AckedAt.ToDateTimeOffset() - instance.SentAt.ToDateTimeOffset()).TotalMilliseconds);
            durableToAck.Add((instance.AckedAt.ToDateTimeOffset() - durable).TotalMilliseconds);
        }

        revision = write.Revision;
    }

    string[] ackLines =
    [
        $"commit->ack, {count,5} clients, {options.AckWrites} writes: p50 {Percentile(latencies, 50):F1} ms, p99 {Percentile(latencies, 99):F1} ms, max {latencies.Max():F1} ms",
        $"  of which: request->durable (validate, compile, SQLite commit): p50 {Percentile(commitToDurable, 50):F1} ms, p99 {Percentile(commitToDurable, 99):F1} ms",
        $"  durable->sent (server fan-out to each stream): p50 {Percentile(durableToSent, 50):F1} ms, p99 {Percentile(durableToSent, 99):F1} ms, max {Max(durableToSent):F1} ms ({durableToSent.Count} samples)",
        $"  sent->ack (SDK: read, apply, ack back): p50 {Percentile(sentToAck, 50):F1} ms, p99 {Percentile(sentToAck, 99):F1} ms",
        $"  durable->ack: p50 {Percentile(durableToAck, 50):F1} ms, p99 {Percentile(durableToAck, 99):F1} ms, max {Max(durableToAck):F1} ms",
    ];
    foreach (string line in ackLines)
    {
        Console.WriteLine(line);
        report.AppendLine(line);
    }
}

// 2. The propagation run: all clients connected; `rate` changes per second for `seconds` seconds.
await ConnectAsync(options.Clients);
await WaitAsync(() => clients.All(c => c.Client.Snapshot.Revision >= revision), $"{options.Clients} clients on revision {revision}");
GC.Collect();
long clientProcessBytes = GC.GetTotalMemory(forceFullCollection: true);
await Task.Delay(2000);
long serverConnected = server.ResidentBytes;
foreach (LoadClient client in clients)
{
    client.Reset();
}

var committedRevisions = new List<(long Revision, int Value)>();
TimeSpan cpuBefore = server.CpuTime;
var wall = Stopwatch.StartNew();
long peakServer = serverConnected;
int total = options.Rate * options.Seconds;
var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / options.Rate));
for (int i = 0; i < total; i++)
{
    await ticker.WaitForNextTickAsync();
    int value = 1000 + i;
    WriteResponse write = await server.Admin.PutDocumentAsync(Put("load", value));
    committedRevisions.Add((write.Revision, value));
    if (i % options.Rate == 0)
    {
        peakServer = Math.Max(peakServer, server.ResidentBytes);
    }
}

long final = committedRevisions[^1].Revision;
await WaitAsync(() => clients.All(c => c.Client.Snapshot.Revision == final), $"every client on the final revision {final}");
TimeSpan runWall = wall.Elapsed;
TimeSpan cpu = server.CpuTime - cpuBefore;
peakServer = Math.Max(peakServer, server.ResidentBytes);

Dictionary<long, DateTimeOffset> commitTimes = await CommitTimesAsync(committedRevisions[0].Revision, final);
var propagation = new List<double>();
int missed = 0;
int coalesced = 0;
int wrongValue = 0;
foreach (LoadClient client in clients)
{
    (long Revision, DateTimeOffset At)[] applied = client.Applied;
    int next = 0;
    foreach ((long r, int _) in committedRevisions)
    {
        while (next < applied.Length && applied[next].Revision < r)
        {
            next++;
        }

        if (next == applied.Length)
        {
            missed++;
            continue;
        }

        if (applied[next].Revision > r)
        {
            coalesced++;
        }

        propagation.Add((applied[next].At - commitTimes[r]).TotalMilliseconds);
    }

    if (client.Client.GetNumber("load", defaultValue: -1) != committedRevisions[^1].Value)
    {
        wrongValue++;
    }
}

int reconnects = clients.Sum(c => (int)Math.Max(0, c.Source.Diagnostics.Sessions - 1));
string[] lines =
[
    $"propagation run: {options.Clients} clients, {total} changes at {options.Rate}/s over {runWall.TotalSeconds:F1} s (wall incl. final convergence)",
    $"  every client on final revision {final}: yes; wrong final value: {wrongValue}; revisions never applied: {missed}; applied only within a later batch (coalesced): {coalesced}; reconnects: {reconnects}",
    $"  commit->applied (FlagsChanged): p50 {Percentile(propagation, 50):F1} ms, p99 {Percentile(propagation, 99):F1} ms, max {propagation.Max():F1} ms ({propagation.Count} samples)",
    $"  server CPU: {cpu.TotalSeconds:F1} s over {runWall.TotalSeconds:F1} s = {100 * cpu.TotalSeconds / runWall.TotalSeconds:F0} % of one core",
    $"  server memory: idle {Mb(serverIdle)}, {options.Clients} connected {Mb(serverConnected)}, peak {Mb(peakServer)}; per connected client {(serverConnected - serverIdle) / 1024.0 / options.Clients:F1} KB",
    $"  client process (all {options.Clients} SDK clients, managed heap): {Mb(clientProcessBytes)} = {clientProcessBytes / 1024.0 / options.Clients:F1} KB per client",
];
foreach (string line in lines)
{
    Console.WriteLine(line);
    report.AppendLine(line);
}

foreach (LoadClient client in clients)
{
    await client.DisposeAsync();
}

clients.Clear();

// 3. The largest environment: 10 000 flags.
Large:
if (!options.SkipLarge)
{
    FlagFile large = LargeFile(options.Flags);
    byte[] fileJson = FlagJson.SerializeFile(large);
    long wireBytes = large.Flags.Sum(f => (long)FlagJson.SerializeFlag(f).Length);
    var builds = new List<double>();
    FlagSnapshot built = null!;
    for (int i = 0; i < 7; i++)
    {
        var sw = Stopwatch.StartNew();
        built = SnapshotBuilder.Build(FlagJson.Clone(large), 1);
        builds.Add(sw.Elapsed.TotalMilliseconds);
    }

    var deltas = new List<double>();
    FlagDocument changed = FlagJson.Clone(large.Flags[large.Flags.Count / 2]);
    for (int i = 0; i < 51; i++)
    {
        changed.On = !changed.On;
        var sw = Stopwatch.StartNew();
        _ = SnapshotBuilder.ApplyDelta(built, 2 + i, [changed], [], [], [], []);
        deltas.Add(sw.Elapsed.TotalMilliseconds);
    }

    // End to end: the server holds the 10 000 flags; a client takes the full snapshot, then a one-flag change.
    await server.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = "large" });
    CreateApiKeyResponse key = await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "large", Role = ApiKeyRole.Sdk, Environment = "large" });
    var applyWatch = Stopwatch.StartNew();
    WriteResponse applied = await server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = "large", FileJson = ByteString.CopyFrom(fileJson) });
    double applyMs = applyWatch.Elapsed.TotalMilliseconds;
    var syncWatch = Stopwatch.StartNew();
    await using LoadClient big = LoadClient.Start(server.Address, key.Secret, "large", handler: null);
    await WaitAsync(() => big.Client.Snapshot.Revision == applied.Revision, "the large client synced");
    double syncMs = syncWatch.Elapsed.TotalMilliseconds;
    big.Reset();
    string flagKey = large.Flags[large.Flags.Count / 2].Key;
    WriteResponse one = await server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = "large", Key = flagKey, Change = large.Flags[large.Flags.Count / 2].On ? FlagStateChange.Disable : FlagStateChange.Enable });
    DateTimeOffset oneCommitted = (await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = "large", Limit = 1 })).Entries[0].Time.ToDateTimeOffset();
    // Wait for the client's FlagsChanged record, not only its snapshot: the snapshot is swapped before the event runs.
    await WaitAsync(() => big.Applied.Any(a => a.Revision >= one.Revision), "the one-flag change reached the large client");
    // The batch that carried the change may also carry a later revision (none here, but do not assume it).
    double oneMs = (big.Applied.First(a => a.Revision >= one.Revision).At - oneCommitted).TotalMilliseconds;

    string[] largeLines =
    [
        $"{options.Flags} flags: flags file {fileJson.Length / 1024.0:F0} KB (indented), on the wire {wireBytes / 1024.0:F0} KB of document JSON",
        $"  SDK strict build (parse excluded): median {Percentile(builds, 50):F1} ms, min {builds.Min():F1} ms (7 runs)",
        $"  SDK one-flag delta apply: median {Percentile(deltas, 50):F3} ms, p99 {Percentile(deltas, 99):F3} ms (51 runs)",
        $"  server ApplyFile of all {options.Flags}: {applyMs:F0} ms; a new client's full sync to Ready: {syncMs:F0} ms; one-flag change commit->applied: {oneMs:F1} ms",
    ];
    foreach (string line in largeLines)
    {
        Console.WriteLine(line);
        report.AppendLine(line);
    }
}

Console.WriteLine();
Console.WriteLine("summary:");
Console.Write(report);
return 0;

async Task ConnectAsync(int count)
{
    while (clients.Count < count)
    {
        clients.Add(LoadClient.Start(server.Address, ServerProcess.SdkKey, ServerProcess.Environment, shared));
        if (clients.Count % 100 == 0)
        {
            // Connect in waves, as a fleet rolling out would, not all in one instant.
            await WaitAsync(() => clients.All(c => c.Client.Status == FlagClientStatus.Ready), $"{clients.Count} clients ready");
        }
    }

    await WaitAsync(() => clients.All(c => c.Client.Status == FlagClientStatus.Ready), $"{clients.Count} clients ready");
}

async Task<DateTimeOffset> CommitTimeAsync(long rev)
{
    GetHistoryResponse history = await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = ServerProcess.Environment, Limit = 1, BeforeRevision = rev + 1 });
    return history.Entries.Single(e => e.Revision == rev).Time.ToDateTimeOffset();
}

async Task<Dictionary<long, DateTimeOffset>> CommitTimesAsync(long from, long to)
{
    var times = new Dictionary<long, DateTimeOffset>();
    long before = to + 1;
    while (before > from)
    {
        GetHistoryResponse page = await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = ServerProcess.Environment, Limit = 1000, BeforeRevision = before });
        if (page.Entries.Count == 0)
        {
            break;
        }

        foreach (HistoryEntry entry in page.Entries)
        {
            times.TryAdd(entry.Revision, entry.Time.ToDateTimeOffset());
        }

        before = page.Entries.Min(e => e.Revision);
    }

    return times;
}

static async Task WaitAsync(Func<bool> condition, string what)
{
    var clock = Stopwatch.StartNew();
    while (!condition())
    {
        if (clock.Elapsed > TimeSpan.FromMinutes(3))
        {
            throw new TimeoutException("timed out waiting until " + what);
        }

        await Task.Delay(20);
    }
}

static double Max(List<double> values) => values.Count == 0 ? double.NaN : values.Max();

// A realistic large environment: every flag has a rule with two conditions and a split; a tenth use a segment.
static FlagFile LargeFile(int count)
{
    var json = new StringBuilder("""{ "schema": 1, "segments": [ { "key": "vip", "included": ["acct-1"], "rules": [ { "conditions": [ { "attribute": "region", "op": "in", "values": ["eu", "uk"] } ] } ] } ], "flags": [""");
    for (int i = 0; i < count; i++)
    {
        string extra = i % 10 == 0 ? """, { "attribute": "", "op": "inSegment", "values": ["vip"] }""" : "";
        json.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $$"""
            { "key": "flag-{{i:D5}}", "kind": "bool", "on": {{(i % 3 != 0 ? "true" : "false")}}, "description": "load test flag {{i}}", "tags": ["team-{{i % 20}}"],
              "variants": { "on": true, "off": false }, "offVariant": "off", "targets": { "on": ["acct-{{i}}"] },
              "rules": [ { "id": "r1", "conditions": [ { "attribute": "clientVersion", "op": "semverGte", "values": ["2.{{i % 7}}.0"] }, { "attribute": "app", "op": "in", "values": ["game-a", "game-b"] }{{extra}} ],
                           "split": { "variants": [ { "variant": "on", "weight": 25 }, { "variant": "off", "weight": 75 } ] } } ],
              "defaultRule": { "variant": "off" } }
            """);
    }

    return FlagJson.ParseFile(Encoding.UTF8.GetBytes(json.Append("] }").ToString()), "large");
}

/// <summary>Command-line options.</summary>
internal sealed record Args(int Clients, int Rate, int Seconds, int[] AckClients, int AckWrites, int Flags, bool SkipLarge, bool OnlyLarge, int Streams, int IdleSeconds, double HeartbeatSeconds, int Processes)
{
    public static Args Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int clients = Int("--clients", 1000);
        int[] ack = Value("--ack-clients") is { } list ? [.. list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] : [1, 100, clients];
        double heartbeat = Value("--heartbeat-seconds") is { } h ? double.Parse(h, CultureInfo.InvariantCulture) : 15;
        return new Args(clients, Int("--rate", 10), Int("--seconds", 10), ack, Int("--ack-writes", 20), Int("--flags", 10_000), args.Contains("--skip-large"), args.Contains("--only-large"),
            Int("--streams", 0), Int("--idle-seconds", 60), heartbeat, Int("--processes", 0));
    }
}

/// <summary>One SDK client and the times at which it applied each revision (from FlagsChanged).</summary>
internal sealed class LoadClient : IAsyncDisposable
{
    private readonly ConcurrentQueue<(long Revision, DateTimeOffset At)> _applied = new();

    private LoadClient(GrpcFlagSource source, FlagClient client)
    {
        Source = source;
        Client = client;
        client.FlagsChanged += (_, e) => _applied.Enqueue((e.Revision, DateTimeOffset.UtcNow));
    }

    public GrpcFlagSource Source { get; }

    public FlagClient Client { get; }

    public (long Revision, DateTimeOffset At)[] Applied => [.. _applied];

    public static LoadClient Start(Uri server, string key, string environment, HttpMessageHandler? handler)
    {
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server,
            ApiKey = key,
            Environment = environment,
            AppName = "load-test",
            AppVersion = "1.0.0",
            HttpHandler = handler,
            StartTimeout = TimeSpan.FromSeconds(60),
        });
        var client = new FlagClient(source);
        _ = client.StartAsync();
        return new LoadClient(source, client);
    }

    public void Reset() => _applied.Clear();

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
