using System.Diagnostics;
using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Sources;
using Google.Protobuf;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// A cold start with the server down (connection refused at once) and a disk cache present is ready from the cache
/// as soon as the first connection attempt fails, not after <see cref="GrpcFlagSourceOptions.StartTimeout"/> (5 s);
/// with <see cref="GrpcFlagSourceOptions.ServeCacheWhileConnecting"/> at once. When the server comes back the client
/// moves from the cache to live flags. Real server on loopback, real gRPC, real cache file.
/// </summary>
public sealed class GrpcFlagSourceColdStartTests
{
    private const int ColdStarts = 20;
    private readonly List<IAsyncDisposable> _disposables = [];
    private string _cacheDirectory = "";

    [SetUp]
    public void SetUp() => _cacheDirectory = Directory.CreateTempSubdirectory("flagkit-cold-start-").FullName;

    [TearDown]
    public async Task TearDown()
    {
        for (int i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        _disposables.Clear();
        Directory.Delete(_cacheDirectory, recursive: true);
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task StartAsync_ServerRefusesConnections_ReadyFromCacheAtOnceThenLiveWhenTheServerReturns(bool serveCacheWhileConnecting)
    {
        TestFlagServer server = await TestFlagServer.StartAsync();
        _disposables.Add(server);
        long cached = await Put(server, "wallet");
        await using (FlagClient first = CreateClient(server, serveCacheWhileConnecting: false, out GrpcFlagSource firstSource))
        {
            await first.StartAsync();
            await SyncWait.UntilAsync(() => firstSource.Diagnostics.CacheWrites > 0 && first.Snapshot.Revision == cached, "the first SDK wrote its disk cache");
        }

        long missed = await Put(server, "bonus");
        await server.StopAsync();

        // Cold starts against the refusing port, each a new source and client reading the cache file from disk. The
        // start timeout stays at its default (5 s): before the fix every one of these took 5 s.
        var took = new List<double>();
        FlagClient? kept = null;
        for (int i = 0; i < ColdStarts; i++)
        {
            FlagClient client = CreateClient(server, serveCacheWhileConnecting, out GrpcFlagSource source);
            var clock = Stopwatch.StartNew();
            await client.StartAsync();
            took.Add(clock.Elapsed.TotalMilliseconds);

            Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Stale), $"cold start {i}");
            Assert.That(client.Snapshot.Revision, Is.EqualTo(cached), $"cold start {i} serves the cache");
            Assert.That(client.IsEnabled("wallet"), Is.True);
            Assert.That(source.Diagnostics.ServedCache, Is.True);
            if (i == ColdStarts - 1)
            {
                kept = client;
                _disposables.Add(client);
            }
            else
            {
                await client.DisposeAsync();
            }
        }

        took.Sort();
        string figures = string.Create(CultureInfo.InvariantCulture, $"{ColdStarts} cold starts, server refusing, ServeCacheWhileConnecting={serveCacheWhileConnecting}: ready from cache p50 {took[took.Count / 2]:F1} ms, max {took[^1]:F1} ms");
        TestContext.Out.WriteLine(figures);
        // Generous for a busy 2-core CI machine (measured figures are in docs/reliability.md); the old behaviour took
        // the whole 5 s start timeout.
        Assert.That(took[took.Count / 2], Is.LessThan(1000), figures);
        Assert.That(took[^1], Is.LessThan(2500), figures);

        await server.RestartAsync();
        await SyncWait.UntilAsync(() => kept!.Snapshot.Revision == missed && kept.Status == FlagClientStatus.Ready, $"the client moves from the cache to live revision {missed}");
        Assert.That(kept!.IsEnabled("bonus"), Is.True);
    }

    private FlagClient CreateClient(TestFlagServer server, bool serveCacheWhileConnecting, out GrpcFlagSource source)
    {
        source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = TestFlagServer.Environment,
            AppName = "cold-start-tests",
            CacheDirectory = _cacheDirectory,
            ServeCacheWhileConnecting = serveCacheWhileConnecting,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        });
        return new FlagClient(source);
    }

    private static async Task<long> Put(TestFlagServer server, string key) =>
        (await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8($$"""{ "key": "{{key}}", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
        })).Revision;
}
