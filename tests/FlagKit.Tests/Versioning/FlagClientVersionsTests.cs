using System.Collections.Concurrent;
using System.Text.Json;
using FlagKit.Sources;
using FlagKit.Versioning;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Tests.Versioning;

/// <summary><c>FlagClient.GetVersion</c>: version flags, pinning, kills, replay (FlagClient.Versions.cs).</summary>
public sealed class FlagClientVersionsTests
{
    private static readonly SemanticVersion V13 = SemanticVersion.Parse("1.3.0");
    private static readonly SemanticVersion V14 = SemanticVersion.Parse("1.4.0");
    private static readonly SemanticVersion V15 = SemanticVersion.Parse("1.5.0");

    private FakeTimeProvider _time = null!;
    private InMemoryFlagSource _source = null!;
    private FlagClient _client = null!;

    [SetUp]
    public async Task CreateClient()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        _source = new InMemoryFlagSource();
        _source.SetFlag(VersionFlags.CalcEngine("1.4"));
        _client = new FlagClient(_source, new FlagClientOptions { TimeProvider = _time, VersionPinExpiry = TimeSpan.FromHours(1) });
        await _client.StartAsync();
    }

    [TearDown]
    public async Task DisposeClient()
    {
        await _client.DisposeAsync();
        await _source.DisposeAsync();
    }

    [Test]
    public void GetVersion_NoPinKey_EvaluatesTheFlag()
    {
        var resolution = _client.GetVersion("calc-engine");

        Assert.Multiple(() =>
        {
            Assert.That(resolution.Version, Is.EqualTo(V14));
            Assert.That(resolution.Source, Is.EqualTo(VersionSource.Evaluated));
            Assert.That(resolution.Variant, Is.EqualTo("v1.4"));
            Assert.That(resolution.Revision, Is.EqualTo(_client.Snapshot.Revision));
            Assert.That(resolution.EvaluationReason, Is.EqualTo(EvaluationReason.Default));
            Assert.That(resolution.IsPinned, Is.False);
        });
    }

    // Every resolution of a round after its first (each step, settlement) reads an existing pin: none of that, nor an
    // unpinned resolution, may allocate.
    [Test]
    public void GetVersion_UnpinnedOrExistingPin_AllocatesNothing()
    {
        var context = new EvaluationContext { AccountId = "player-1234567" };
        _client.GetVersion("calc-engine", context, pinKey: "round-1");
        for (var i = 0; i < 100; i++)
        {
            _client.GetVersion("calc-engine", context);
            _client.GetVersion("calc-engine", context, pinKey: "round-1");
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _client.GetVersion("calc-engine", context);
            _client.GetVersion("calc-engine", context, pinKey: "round-1");
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(_client.GetVersion("calc-engine", context, pinKey: "round-1").Source, Is.EqualTo(VersionSource.Pinned));
    }

    [Test]
    public void GetVersion_PinnedRound_SurvivesAFlagChange()
    {
        var started = _client.GetVersion("calc-engine", pinKey: "round-1");
        var startRevision = _client.Snapshot.Revision;

        _source.SetFlag(VersionFlags.CalcEngine("1.5"));
        var settled = _client.GetVersion("calc-engine", pinKey: "round-1");
        var newRound = _client.GetVersion("calc-engine", pinKey: "round-2");

        Assert.Multiple(() =>
        {
            Assert.That(started.Source, Is.EqualTo(VersionSource.PinCreated));
            Assert.That(started.Version, Is.EqualTo(V14));
            Assert.That(started.PinnedAt, Is.EqualTo(_time.GetUtcNow()));
            Assert.That(_client.Snapshot.Revision, Is.GreaterThan(startRevision));
            Assert.That(settled.Source, Is.EqualTo(VersionSource.Pinned));
            Assert.That(settled.Version, Is.EqualTo(V14));
            Assert.That(settled.Revision, Is.EqualTo(startRevision), "the revision the pinned version came from");
            Assert.That(newRound.Source, Is.EqualTo(VersionSource.PinCreated));
            Assert.That(newRound.Version, Is.EqualTo(V15));
        });
    }

    [Test]
    public void GetVersion_FlagKilled_KillWinsOverPinAndRevivingResumesThePin()
    {
        _client.GetVersion("calc-engine", pinKey: "round-1");
        _source.SetFlag(VersionFlags.CalcEngine("1.5"));

        _source.SetKilled("calc-engine");
        var killed = _client.GetVersion("calc-engine", pinKey: "round-1");
        _source.SetKilled("calc-engine", killed: false);
        var revived = _client.GetVersion("calc-engine", pinKey: "round-1");

        Assert.Multiple(() =>
        {
            Assert.That(killed.Version, Is.EqualTo(V13));
            Assert.That(killed.Source, Is.EqualTo(VersionSource.Killed));
            Assert.That(killed.EvaluationReason, Is.EqualTo(EvaluationReason.Killed));
            Assert.That(killed.IsPinned, Is.False);
            Assert.That(revived.Version, Is.EqualTo(V14));
            Assert.That(revived.Source, Is.EqualTo(VersionSource.Pinned));
        });
    }

    [Test]
    public void GetVersion_KilledBeforeFirstResolution_CreatesNoPin()
    {
        _source.SetKilled("calc-engine");
        var killed = _client.GetVersion("calc-engine", pinKey: "round-9");

        _source.SetFlag(VersionFlags.CalcEngine("1.5"));
        var after = _client.GetVersion("calc-engine", pinKey: "round-9");

        Assert.That(killed.Source, Is.EqualTo(VersionSource.Killed));
        Assert.That(after.Source, Is.EqualTo(VersionSource.PinCreated));
        Assert.That(after.Version, Is.EqualTo(V15));
    }

    [Test]
    public void GetVersion_SameNewPinKeyFromManyThreadsWhileFlagFlips_AllAgree()
    {
        const int Threads = 4;
        const int Keys = 20;
        var results = new ConcurrentDictionary<string, ConcurrentBag<SemanticVersion>>();
        using var stop = new CancellationTokenSource();
        var flipper = Task.Run(() =>
        {
            var flip = false;
            while (!stop.IsCancellationRequested)
            {
                _source.SetFlag(VersionFlags.CalcEngine(flip ? "1.4" : "1.5"));
                flip = !flip;
            }
        });

        using var barrier = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(_ => Task.Run(() =>
        {
            for (var k = 0; k < Keys; k++)
            {
                barrier.SignalAndWait();
                var key = $"round-{k}";
                results.GetOrAdd(key, _ => []).Add(_client.GetVersion("calc-engine", pinKey: key).Version);
            }
        })).ToArray();

        Task.WaitAll(workers);
        stop.Cancel();
        flipper.Wait();

        Assert.That(results, Has.Count.EqualTo(Keys));
        Assert.That(results.Values.Select(r => r.Distinct().Count()), Has.All.EqualTo(1));
    }

    [Test]
    public void GetVersion_PinExpired_ResolvesAfresh()
    {
        _client.GetVersion("calc-engine", pinKey: "session-1");
        _source.SetFlag(VersionFlags.CalcEngine("1.5"));

        _time.Advance(TimeSpan.FromMinutes(59));
        var stillPinned = _client.GetVersion("calc-engine", pinKey: "session-1");
        _time.Advance(TimeSpan.FromMinutes(2));
        var expired = _client.GetVersion("calc-engine", pinKey: "session-1");

        Assert.That(stillPinned.Version, Is.EqualTo(V14));
        Assert.That(expired.Version, Is.EqualTo(V15));
        Assert.That(expired.Source, Is.EqualTo(VersionSource.PinCreated));
    }

    [Test]
    public async Task GetVersion_PinRemoved_ResolvesAfresh()
    {
        _client.GetVersion("calc-engine", pinKey: "round-1");
        _source.SetFlag(VersionFlags.CalcEngine("1.5"));

        Assert.That(await _client.VersionPins.RemoveAsync("calc-engine", "round-1", CancellationToken.None), Is.True);

        Assert.That(_client.GetVersion("calc-engine", pinKey: "round-1").Version, Is.EqualTo(V15));
    }

    [Test]
    public void GetVersion_FlagMissing_ServesDefaultAndCreatesNoPin()
    {
        var resolution = _client.GetVersion("no-such-flag", pinKey: "round-1", defaultValue: V13);

        Assert.Multiple(() =>
        {
            Assert.That(resolution.Version, Is.EqualTo(V13));
            Assert.That(resolution.Source, Is.EqualTo(VersionSource.Default));
            Assert.That(resolution.EvaluationReason, Is.EqualTo(EvaluationReason.FlagNotFound));
            Assert.That(resolution.Error, Is.EqualTo("Flag 'no-such-flag' does not exist."));
        });
    }

    [Test]
    public void GetVersion_FlagRemovedAfterPinning_PinStillHonoured()
    {
        _client.GetVersion("calc-engine", pinKey: "round-1");
        _source.RemoveFlag("calc-engine");

        var resolution = _client.GetVersion("calc-engine", pinKey: "round-1");

        Assert.That(resolution.Source, Is.EqualTo(VersionSource.Pinned));
        Assert.That(resolution.Version, Is.EqualTo(V14));
    }

    [Test]
    public void GetVersion_NotAVersionFlag_ServesDefaultSayingWhy()
    {
        _source.SetFlag(VersionFlags.Text("contract.wallet-api", "^3.0"));

        var resolution = _client.GetVersion("contract.wallet-api", pinKey: "round-1", defaultValue: V13);

        Assert.That(resolution.Source, Is.EqualTo(VersionSource.Default));
        Assert.That(resolution.Version, Is.EqualTo(V13));
        Assert.That(resolution.Error, Is.EqualTo("Flag 'contract.wallet-api' is a String flag, not a version flag."));
    }

    [Test]
    public void GetVersionForReplay_RecordedVersion_BypassesFlagAndPin()
    {
        _client.GetVersion("calc-engine", pinKey: "round-1");
        _source.SetKilled("calc-engine");

        var replay = _client.GetVersionForReplay("calc-engine", SemanticVersion.Parse("1.2.7"));

        Assert.Multiple(() =>
        {
            Assert.That(replay.Version, Is.EqualTo(SemanticVersion.Parse("1.2.7")));
            Assert.That(replay.Source, Is.EqualTo(VersionSource.Replay));
            Assert.That(replay.PinKey, Is.Null);
        });
    }

    [Test]
    public async Task GetVersion_PinStoreFails_ReturnsCurrentVersionSayingSo()
    {
        var source = new InMemoryFlagSource();
        source.SetFlag(VersionFlags.CalcEngine("1.4"));
        await using var client = new FlagClient(source, new FlagClientOptions { VersionPinStore = new FailingPinStore() });
        await client.StartAsync();

        var resolution = client.GetVersion("calc-engine", pinKey: "round-1");

        Assert.That(resolution.Source, Is.EqualTo(VersionSource.PinStoreFailed));
        Assert.That(resolution.Version, Is.EqualTo(V14));
        Assert.That(resolution.Error, Is.EqualTo("The version pin store failed: IOException: store unreachable"));
    }

    [Test]
    public async Task GetVersionAsync_DurableStore_PinSurvivesANewClient()
    {
        var directory = Directory.CreateTempSubdirectory("flagkit-pins-");
        try
        {
            var firstSource = new InMemoryFlagSource();
            firstSource.SetFlag(VersionFlags.CalcEngine("1.4"));
            var first = new FlagClient(firstSource, new FlagClientOptions { VersionPinStore = new JsonFilePinStore(directory.FullName) });
            await first.StartAsync();
            var started = await first.GetVersionAsync("calc-engine", pinKey: "round-42");
            await first.DisposeAsync();

            // "Restart": a new client, a new store instance over the same directory, and the flag has moved on.
            var source = new InMemoryFlagSource();
            source.SetFlag(VersionFlags.CalcEngine("1.5"));
            await using var second = new FlagClient(source, new FlagClientOptions { VersionPinStore = new JsonFilePinStore(directory.FullName) });
            await second.StartAsync();
            var settled = await second.GetVersionAsync("calc-engine", pinKey: "round-42");

            Assert.That(started.Source, Is.EqualTo(VersionSource.PinCreated));
            Assert.That(settled.Source, Is.EqualTo(VersionSource.Pinned));
            Assert.That(settled.Version, Is.EqualTo(V14));
            Assert.That(settled.Revision, Is.EqualTo(started.Revision));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public void GetVersion_Resolutions_CountedWithVersionTags()
    {
        var previous = VersionTags.Current;
        VersionTags.Current = new VersionTags("build-77", SemanticVersion.Parse("3.4.1")).WithCalc("calc-engine", "1.4.0");
        try
        {
            using var metrics = new MetricsRecorder("FlagKit.Versioning", "flagkit.version.resolutions", t => t.GetValueOrDefault("flagkit.build_id") == "build-77");

            _client.GetVersion("calc-engine", pinKey: "round-1");
            _client.GetVersion("calc-engine", pinKey: "round-1");

            Assert.That(metrics.Sum(t => t["flagkit.version.source"] == "PinCreated" && t["flagkit.version"] == "1.4.0"), Is.EqualTo(1));
            Assert.That(metrics.Sum(t => t["flagkit.version.source"] == "Pinned" && t["flagkit.app_version"] == "3.4.1" && t["flagkit.calc.calc-engine"] == "1.4.0"), Is.EqualTo(1));
        }
        finally
        {
            VersionTags.Current = previous;
        }
    }

    private sealed class FailingPinStore : IVersionPinStore
    {
        public ValueTask<VersionPin?> GetAsync(string flagKey, string pinKey, CancellationToken cancellationToken) =>
            ValueTask.FromException<VersionPin?>(new IOException("store unreachable"));

        public ValueTask<VersionPin> GetOrAddAsync(VersionPin candidate, CancellationToken cancellationToken) =>
            ValueTask.FromException<VersionPin>(new IOException("store unreachable"));

        public ValueTask<bool> RemoveAsync(string flagKey, string pinKey, CancellationToken cancellationToken) =>
            ValueTask.FromException<bool>(new IOException("store unreachable"));
    }

    /// <summary>
    /// A durable store as docs/versioning.md describes it: one JSON file per pin, created with
    /// <see cref="FileMode.CreateNew"/> so the first writer wins atomically.
    /// </summary>
    private sealed class JsonFilePinStore(string directory) : IVersionPinStore
    {
        public async ValueTask<VersionPin?> GetAsync(string flagKey, string pinKey, CancellationToken cancellationToken)
        {
            var path = PathOf(flagKey, pinKey);
            if (!File.Exists(path))
            {
                return null;
            }

            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<VersionPin>(stream, cancellationToken: cancellationToken);
        }

        public async ValueTask<VersionPin> GetOrAddAsync(VersionPin candidate, CancellationToken cancellationToken)
        {
            try
            {
                await using var stream = new FileStream(PathOf(candidate.FlagKey, candidate.PinKey), FileMode.CreateNew, FileAccess.Write);
                await JsonSerializer.SerializeAsync(stream, candidate, cancellationToken: cancellationToken);
                return candidate;
            }
            catch (IOException) when (File.Exists(PathOf(candidate.FlagKey, candidate.PinKey)))
            {
                return (await GetAsync(candidate.FlagKey, candidate.PinKey, cancellationToken))!;
            }
        }

        public ValueTask<bool> RemoveAsync(string flagKey, string pinKey, CancellationToken cancellationToken)
        {
            var path = PathOf(flagKey, pinKey);
            var existed = File.Exists(path);
            File.Delete(path);
            return ValueTask.FromResult(existed);
        }

        private string PathOf(string flagKey, string pinKey) => Path.Combine(directory, $"{flagKey}~{pinKey}.json");
    }
}
