using Microsoft.Extensions.DependencyInjection;
using BenchmarkDotNet.Attributes;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using FlagKit.Server.Store;
using FlagKit.Server.Sync;
using FlagKit.Server.Writes;
using Google.Protobuf;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlagKit.Benchmarks;

/// <summary>
/// The server's write path for a one-flag write in an environment of 1 000 or 10 000 flags: the preparation alone
/// (diff, validation by the compiler, summaries, next state), and the whole write (preparation, durable commit to a
/// real SQLite file, publish to the hub), as <c>PutDocument</c> runs it (issue 18: commit → durable p50 ≤ 5 ms).
/// </summary>
public class ServerWriteBenchmark
{
    private const string Env = "production";

    private string _directory = null!;
    private FlagDatabase _db = null!;
    private EnvironmentCatalog _catalog = null!;
    private WritePreparation _preparation = null!;
    private int _write;

    /// <summary>Live flags in the environment.</summary>
    [Params(1_000, 10_000)]
    public int Flags { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "flagkit-bench-" + Guid.NewGuid().ToString("N"));
        var time = TimeProvider.System;
        _db = FlagDatabase.Open(Path.Combine(_directory, "flagkit.db"), time.GetUtcNow());
        var options = Options.Create(new FlagServerOptions());
        var meters = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddMetrics().BuildServiceProvider()
            .GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var metrics = new FlagKit.Server.Diagnostics.ServerMetrics(meters, time);
        var hubs = new HubRegistry(options, time, new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance), NullLogger<HubRegistry>.Instance, metrics, NullLoggerFactory.Instance);
        _catalog = new EnvironmentCatalog(_db, hubs, options, time, NullLogger<EnvironmentCatalog>.Instance, metrics, new FlagKit.Server.Scheduling.FreezeCalendar(_db, time));
        _catalog.Load();
        _catalog.CreateAsync(Env, "bench", "", CancellationToken.None).GetAwaiter().GetResult();
        var seed = Enumerable.Range(0, Flags).Select(i => DocumentEdit.Put(Flag(i, 5))).ToList();
        _catalog.WriteAsync(Command(), _ => seed, CancellationToken.None).GetAwaiter().GetResult();
        _preparation = new WritePreparation(_db, options.Value, time);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "Prepare: one flag (no commit)")]
    public object Prepare()
    {
        var edit = DocumentEdit.Put(Flag(Flags / 2, NextRollout()));
        return _preparation.Prepare(Command(), _catalog.Get(Env), _ => [edit], CancellationToken.None);
    }

    [Benchmark(Description = "Write: one flag (prepare, SQLite commit, publish)")]
    public WriteResponse Write()
    {
        var edit = DocumentEdit.Put(Flag(Flags / 2, NextRollout()));
        return _catalog.WriteAsync(Command(), _ => [edit], CancellationToken.None).GetAwaiter().GetResult();
    }

    // 1..99, never the same twice in a row: every write changes the flag.
    private int NextRollout() => 1 + (_write++ % 98);

    private static WriteCommand Command() =>
        new(Env, null, new CallerIdentity("bench", "bench", ApiKeyRole.Admin, null, "bench"), "PutDocument", "flag", new PutDocumentRequest { Environment = Env }, Operation: "put flag");

    // The shape of SnapshotBenchmark's flag: a region rule, a segment-free rule, a percentage rollout.
    private static FlagKit.Documents.FlagDocument Flag(int i, int rollout) => FlagKit.Compilation.FlagJson.ParseFlag(System.Text.Encoding.UTF8.GetBytes($$"""
        { "key": "flag-{{i}}", "kind": "bool", "on": true, "tags": ["team-{{i % 20}}"],
          "variants": { "on": true, "off": false }, "offVariant": "off",
          "rules": [
            { "id": "blocked", "conditions": [ { "attribute": "region", "op": "in", "values": ["us", "fr"] } ], "variant": "off" },
            { "id": "beta", "conditions": [ { "attribute": "app", "op": "in", "values": ["beta"] } ], "variant": "on" } ],
          "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": {{rollout}} }, { "variant": "off", "weight": {{100 - rollout}} } ] } } }
        """));
}
