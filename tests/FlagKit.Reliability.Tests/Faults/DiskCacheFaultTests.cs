using System.Text;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using FlagKit.Sources;
using FlagKit.Sources.Caching;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>
/// The SDK starts while the server is unreachable, with a disk cache that is damaged: it reports the cache and why,
/// starts without it (callers get their defaults, never a half-read cache), and converges once the server is back.
/// A good cache, as the control, is served.
/// </summary>
[TestFixture]
public sealed class DiskCacheFaultTests
{
    private const int FlagCount = 20;

    private static IEnumerable<TestCaseData> Damages()
    {
        yield return Case("corrupt payload (one bit flipped)", b => Flip(b, b.Length - 40), "does not match the SHA-256");
        yield return Case("truncated (half the file)", b => b[..(b.Length / 2)], "truncated");
        yield return Case("truncated inside the header", b => b[..20], "no header line");
        yield return Case("empty file", _ => [], "no header line");
        yield return Case("unknown flag schema", b => Replace(b, "\"schema\":1", "\"schema\":2"), "schema 2");
        yield return Case("unknown cache format version", b => Replace(b, "\"formatVersion\":1", "\"formatVersion\":7"), "format version 7");
        yield return Case("not a FlagKit cache", _ => Encoding.UTF8.GetBytes("{\"hello\":\"world\"}\n{}"), "does not name the format");
        yield return Case("another environment's cache", b => Replace(b, "\"environment\":\"production\"", "\"environment\":\"staging\""), "environment 'staging'");

        static TestCaseData Case(string name, Func<byte[], byte[]> damage, string expected) =>
            new TestCaseData(damage, expected).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Damages))]
    public async Task StartWhileServerDown_DamagedCache_ReportedIgnoredThenConverges(Func<byte[], byte[]> damage, string expected)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        await using FaultProxy proxy = FaultProxy.Start(server.Address);
        var write = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 4, FlagCount, padding: 10);
        string cacheDirectory = Directory.CreateTempSubdirectory("flagkit-cache-").FullName;
        try
        {
            string cacheFile = WriteGoodCache(cacheDirectory, proxy.Address, generation: 3);
            File.WriteAllBytes(cacheFile, damage(File.ReadAllBytes(cacheFile)));
            proxy.RefuseNewConnections = true;

            GrpcFlagSourceOptions options = SdkClient.Options(proxy.Address, TestFlagServer.SdkKey, TestFlagServer.Environment, cacheDirectory);
            options.StartTimeout = TimeSpan.FromMilliseconds(300);
            await using SdkClient sdk = await SdkClient.StartAsync(options);
            await Wait.UntilAsync(() => sdk.Source.LastReported.Detail?.Contains("disk cache", StringComparison.Ordinal) == true, () => $"the status names the disk cache problem (status {sdk.Client.Status}: {sdk.Source.LastReported.Detail})");

            Assert.That(sdk.Source.Diagnostics.CacheProblem, Does.Contain(expected).And.Contain(cacheFile));
            Assert.That(sdk.Source.LastReported.Detail, Does.Contain(expected));
            Assert.That(sdk.Source.Diagnostics.ServedCache, Is.False);
            Assert.That(sdk.Client.Status, Is.EqualTo(FlagClientStatus.Starting), "nothing to serve: not Ready, not Stale");
            Assert.That(sdk.Client.Snapshot.Revision, Is.Zero, "nothing of the damaged cache is served");
            Assert.That(sdk.Client.GetString(Generations.Key(0), defaultValue: "default"), Is.EqualTo("default"));

            proxy.RefuseNewConnections = false;
            await Wait.UntilAsync(() => sdk.Client.Snapshot.Revision == write.Revision, "the client converges once the server is reachable");
            Assert.That(Generations.Of(sdk.Client.Snapshot, FlagCount), Is.EqualTo(4));
            await Wait.UntilAsync(() => sdk.Source.Diagnostics.CacheWrites > 0, "the cache is rewritten");
            DiskSnapshotCacheLoad reloaded = Cache(cacheDirectory, proxy.Address).Load();
            Assert.That(reloaded.IsUsable, Is.True, reloaded.Problem);
            Assert.That(reloaded.Header!.Revision, Is.EqualTo(write.Revision));
        }
        finally
        {
            Directory.Delete(cacheDirectory, recursive: true);
        }
    }

    [Test]
    public async Task StartWhileServerDown_GoodCache_ServedAsStaleThenConverges()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        await using FaultProxy proxy = FaultProxy.Start(server.Address);
        // The cache holds revision 1 (generation 3); the server has moved on to revision 2 (generation 4).
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 3, FlagCount, padding: 10);
        var write = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 4, FlagCount, padding: 10);
        string cacheDirectory = Directory.CreateTempSubdirectory("flagkit-cache-").FullName;
        try
        {
            WriteGoodCache(cacheDirectory, proxy.Address, generation: 3);
            proxy.RefuseNewConnections = true;
            GrpcFlagSourceOptions options = SdkClient.Options(proxy.Address, TestFlagServer.SdkKey, TestFlagServer.Environment, cacheDirectory);
            options.StartTimeout = TimeSpan.FromMilliseconds(300);
            await using SdkClient sdk = await SdkClient.StartAsync(options);

            await Wait.UntilAsync(() => sdk.Source.Diagnostics.ServedCache, "the cache is served");
            Assert.That(sdk.Client.Status, Is.EqualTo(FlagClientStatus.Stale));
            Assert.That(Generations.Of(sdk.Client.Snapshot, FlagCount), Is.EqualTo(3));
            proxy.RefuseNewConnections = false;
            await Wait.UntilAsync(() => sdk.Client.Snapshot.Revision == write.Revision, "the client converges once the server is reachable");
            Assert.That(Generations.Of(sdk.Client.Snapshot, FlagCount), Is.EqualTo(4));
            Assert.That(sdk.Client.Status, Is.EqualTo(FlagClientStatus.Ready));
        }
        finally
        {
            Directory.Delete(cacheDirectory, recursive: true);
        }
    }

    private static DiskSnapshotCache Cache(string directory, Uri server) =>
        new(DiskSnapshotCache.PathFor(directory, TestFlagServer.Environment, server.ToString()), TestFlagServer.Environment, server.ToString(), TimeProvider.System);

    /// <summary>Writes a valid cache of generation <paramref name="generation"/> (revision 1) where the SDK will look.</summary>
    private static string WriteGoodCache(string directory, Uri server, int generation)
    {
        DiskSnapshotCache cache = Cache(directory, server);
        var file = FlagKit.Compilation.FlagJson.ParseFile(Generations.File(generation, FlagCount, padding: 10).Span, "generation");
        FlagSnapshot snapshot = FlagKit.Compilation.SnapshotBuilder.Build(file, 1);
        cache.Write(snapshot.ToFile(), 1, snapshot.ContentHash);
        Assert.That(cache.Load().IsUsable, Is.True, "the undamaged cache is good");
        return cache.FilePath;
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        byte[] copy = [.. bytes];
        copy[at] ^= 0x01;
        return copy;
    }

    private static byte[] Replace(byte[] bytes, string find, string replace)
    {
        string text = Encoding.UTF8.GetString(bytes);
        Assert.That(text, Does.Contain(find), "the damage applies to this file");
        int at = text.IndexOf(find, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text[..at] + replace + text[(at + find.Length)..]);
    }
}
