using FlagKit.Protocol.V1;
using FlagKit.Sources;
using FlagKit.Sources.Caching;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// Operating modes in the SDK's disk cache: a client that learnt the modes from the real server writes them beside the
/// flags, and a client started later with the server away serves both from the cache. Real server on loopback, real
/// gRPC, real cache file.
/// </summary>
public sealed class ModeCacheTests
{
    private const string Env = TestFlagServer.Environment;
    private readonly List<IAsyncDisposable> _disposables = [];
    private string _cacheDirectory = "";

    [SetUp]
    public void SetUp() => _cacheDirectory = Directory.CreateTempSubdirectory("flagkit-mode-cache-").FullName;

    [TearDown]
    public async Task TearDown()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        _disposables.Clear();
        Directory.Delete(_cacheDirectory, recursive: true);
    }

    [Test]
    public async Task RestartWithServerDown_ModesChangedAfterTheLastBatch_CachedModeAndWindowServed()
    {
        var server = await TestFlagServer.StartAsync();
        _disposables.Add(server);
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("wallet", on: true)));
        var until = DateTimeOffset.UtcNow.AddHours(1);
        // Whole seconds: the server keeps a window's times to the second.
        var windowStart = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds());
        string cacheFile;
        await using (var first = CreateClient(server, out var firstSource))
        {
            await first.StartAsync();
            await first.WaitUntilReadyAsync().WaitAsync(SyncWait.Deadline);
            cacheFile = firstSource.CacheFilePath!;
            await SyncWait.UntilAsync(() => firstSource.Diagnostics.CacheWrites > 0, "the flags are cached");

            // Modes change after the last batch: only the mode messages can bring them into the cache file.
            await server.Admin.SetModeSwitchAsync(new ModeSwitchRequest
            {
                Environment = Env, Mode = "read-only", On = true, Until = Timestamp.FromDateTimeOffset(until), Comment = "db failover",
            });
            var window = await server.Admin.ScheduleMaintenanceAsync(new MaintenanceScheduleRequest
            {
                Environment = Env, Start = Timestamp.FromDateTimeOffset(windowStart), End = Timestamp.FromDateTimeOffset(windowStart.AddHours(1)), Message = "db upgrade",
            });
            await SyncWait.UntilAsync(() => CachedModesVersion(cacheFile) == window.Version, "the cache file carries the modes the SDK applied");
            Assert.That(first.IsReadOnly(), Is.True);
        }

        await server.StopAsync();
        var restarted = CreateClient(server, out var source);
        _disposables.Add(restarted);
        await restarted.StartAsync();

        Assert.That(restarted.Status, Is.EqualTo(FlagClientStatus.Stale), restarted.StatusDetail);
        Assert.That(source.Diagnostics.ServedCache, Is.True);
        Assert.That(restarted.IsEnabled("wallet"), Is.True, "the cached flags serve");
        Assert.That(restarted.IsReadOnly(), Is.True, "the cached mode serves");
        var mode = restarted.GetMode();
        Assert.That(mode.Mode, Is.EqualTo(OperatingMode.ReadOnly));
        Assert.That(mode.Until, Is.EqualTo(until).Within(TimeSpan.FromMilliseconds(1)));
        var next = restarted.GetNextMaintenanceWindow();
        Assert.That(next, Is.Not.Null);
        Assert.That(next!.Start, Is.EqualTo(windowStart).Within(TimeSpan.FromMilliseconds(1)));
        Assert.That(next.Message, Is.EqualTo("db upgrade"));
    }

    [Test]
    public async Task ServerBack_ModesSwitchedOffWhileTheSdkWasAway_WelcomeReplacesTheCachedModes()
    {
        var server = await TestFlagServer.StartAsync();
        _disposables.Add(server);
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("wallet", on: true)));
        await server.Admin.SetModeSwitchAsync(new ModeSwitchRequest { Environment = Env, Mode = "read-only", On = true, Comment = "INC-9" });
        await using (var first = CreateClient(server, out var firstSource))
        {
            await first.StartAsync();
            await first.WaitUntilReadyAsync().WaitAsync(SyncWait.Deadline);
            await SyncWait.UntilAsync(() => CachedModesVersion(firstSource.CacheFilePath!) == 1, "the modes of Welcome are cached with the first batch");
        }

        await server.Admin.SetModeSwitchAsync(new ModeSwitchRequest { Environment = Env, Mode = "read-only", On = false, Comment = "INC-9 over" });
        await server.StopAsync();
        var restarted = CreateClient(server, out _);
        _disposables.Add(restarted);
        await restarted.StartAsync();
        Assert.That(restarted.IsReadOnly(), Is.True, "from the cache while the server is away");

        await server.RestartAsync();

        await SyncWait.UntilAsync(() => restarted.Status == FlagClientStatus.Ready, "the SDK reconnects");
        Assert.That(restarted.IsReadOnly(), Is.False, "the server's modes (version 2, switched off) replace the cached ones");
        Assert.That(restarted.GetMode().Mode, Is.EqualTo(OperatingMode.Normal));
    }

    private FlagClient CreateClient(TestFlagServer server, out GrpcFlagSource source)
    {
        source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = Env,
            AppName = "mode-cache-tests",
            CacheDirectory = _cacheDirectory,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(300),
        });
        return new FlagClient(source);
    }

    /// <summary>The version of the modes in the cache file (0: none, or no whole file yet).</summary>
    private static long CachedModesVersion(string path) =>
        new DiskSnapshotCache(path, Env, "", TimeProvider.System).Load().Modes?.Version ?? 0;
}
