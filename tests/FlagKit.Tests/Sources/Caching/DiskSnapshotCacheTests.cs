using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Sources.Caching;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Tests.Sources.Caching;

public sealed class DiskSnapshotCacheTests
{
    private string _directory = "";

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "flagkit-cache-tests", Guid.NewGuid().ToString("N"));
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Test]
    public void Load_AfterWrite_ReturnsTheDocumentsRevisionAndHeader()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
        DiskSnapshotCache cache = CacheIn(_directory, time);

        cache.Write(File("new-bonus-engine", "wallet"), revision: 42, contentHash: "abc123");
        DiskSnapshotCacheLoad load = cache.Load();

        Assert.That(load.IsUsable, Is.True, load.Problem);
        Assert.That(load.Header!.Revision, Is.EqualTo(42));
        Assert.That(load.Header.ContentHash, Is.EqualTo("abc123"));
        Assert.That(load.Header.WrittenAt, Is.EqualTo(time.GetUtcNow()));
        Assert.That(load.File!.Flags.Select(f => f.Key), Is.EqualTo(new[] { "new-bonus-engine", "wallet" }));
        Assert.That(load.File.Flags[0].On, Is.True);
    }

    [Test]
    public void Write_Twice_ReplacesTheFileAndLeavesNoTemporaryFiles()
    {
        DiskSnapshotCache cache = CacheIn(_directory);

        cache.Write(File("a"), 1, "h1");
        cache.Write(File("a", "b"), 2, "h2");

        Assert.That(cache.Load().Header!.Revision, Is.EqualTo(2));
        Assert.That(Directory.GetFiles(_directory), Is.EqualTo(new[] { cache.FilePath }));
    }

    [Test]
    public void Load_NoFile_IsMissingNotCorrupt()
    {
        DiskSnapshotCacheLoad load = CacheIn(_directory).Load();

        Assert.That(load.IsUsable, Is.False);
        Assert.That(load.IsCorrupt, Is.False);
        Assert.That(load.Problem, Does.Contain("no disk cache"));
    }

    private static readonly object[] BadFiles =
    [
        new object[] { "empty", (Func<byte[], byte[]>)(_ => []), "no header line" },
        new object[] { "truncated payload", (Func<byte[], byte[]>)(b => b[..^10]), "truncated" },
        new object[] { "flipped payload byte", (Func<byte[], byte[]>)(b => Flip(b, b.Length - 5)), "SHA-256" },
        new object[] { "garbage header", (Func<byte[], byte[]>)(b => [.. "{not json\n"u8, .. b]), "not valid JSON" },
        new object[] { "not a FlagKit cache", (Func<byte[], byte[]>)(_ => "{\"format\":\"other\"}\n{}"u8.ToArray()), "does not name the format" },
        new object[] { "unknown schema", (Func<byte[], byte[]>)(b => ReplaceHeader(b, "\"schema\":1", "\"schema\":99")), "schema 99" },
        new object[] { "unknown format version", (Func<byte[], byte[]>)(b => ReplaceHeader(b, "\"formatVersion\":1", "\"formatVersion\":7")), "format version 7" },
        new object[] { "other environment", (Func<byte[], byte[]>)(b => ReplaceHeader(b, "\"environment\":\"production\"", "\"environment\":\"staging\"")), "environment 'staging'" },
    ];

    [TestCaseSource(nameof(BadFiles))]
    public void Load_BadFile_IsReportedAndIgnored(string scenario, Func<byte[], byte[]> damage, string expected)
    {
        DiskSnapshotCache cache = CacheIn(_directory);
        cache.Write(File("a", "b"), 3, "h");
        System.IO.File.WriteAllBytes(cache.FilePath, damage(System.IO.File.ReadAllBytes(cache.FilePath)));

        DiskSnapshotCacheLoad load = cache.Load();

        Assert.That(load.IsUsable, Is.False, scenario);
        Assert.That(load.IsCorrupt, Is.True, scenario);
        Assert.That(load.Problem, Does.Contain(expected).And.Contain(cache.FilePath), scenario);
    }

    [Test]
    public void Write_DirectoryMissing_CreatesIt()
    {
        string nested = Path.Combine(_directory, "deeper", "still");
        DiskSnapshotCache cache = CacheIn(nested);

        cache.Write(File("a"), 1, "h");

        Assert.That(cache.Load().IsUsable, Is.True);
    }

    [Test]
    public void Write_TargetIsADirectory_ThrowsAndKeepsNothingHalfWritten()
    {
        DiskSnapshotCache cache = CacheIn(_directory);
        Directory.CreateDirectory(cache.FilePath);

        Assert.That(() => cache.Write(File("a"), 1, "h"), Throws.InstanceOf<IOException>().Or.InstanceOf<UnauthorizedAccessException>());
        Assert.That(Directory.GetFiles(_directory), Is.Empty);
    }

    [Test]
    public void PathFor_DifferentServersOrEnvironments_GiveDifferentFiles()
    {
        string a = DiskSnapshotCache.PathFor("/c", "production", "http://a:5000/");
        string b = DiskSnapshotCache.PathFor("/c", "production", "http://b:5000/");
        string c = DiskSnapshotCache.PathFor("/c", "staging", "http://a:5000/");
        string unsafeName = DiskSnapshotCache.PathFor("/c", "../etc/passwd", "http://a:5000/");

        Assert.That(new[] { a, b, c }, Is.Unique);
        Assert.That(Path.GetDirectoryName(unsafeName), Is.EqualTo(Path.GetFullPath("/c")));
        Assert.That(Path.GetFileName(unsafeName), Does.StartWith("flagkit-.._etc_passwd-"));
    }

    [Test]
    public void Write_Payload_IsAReadableFlagsFile()
    {
        DiskSnapshotCache cache = CacheIn(_directory);
        cache.Write(File("a"), 5, "h");

        string text = System.IO.File.ReadAllText(cache.FilePath);
        string payload = text[(text.IndexOf('\n') + 1)..];
        using JsonDocument json = JsonDocument.Parse(payload);

        Assert.That(json.RootElement.GetProperty("schema").GetInt32(), Is.EqualTo(FlagFile.CurrentSchema));
        Assert.That(json.RootElement.GetProperty("flags")[0].GetProperty("key").GetString(), Is.EqualTo("a"));
    }

    private const string ModesJson = """{"schema":1,"switches":[{"id":"s1","mode":"read-only","until":"2026-12-01T18:00:00Z"}],"windows":[{"id":"mw-2","mode":"maintenance","start":"2026-12-02T02:00:00Z","end":"2026-12-02T03:00:00Z","message":"db upgrade"}]}""";

    [Test]
    public void Load_AfterWriteWithModes_ReturnsTheModesAsTheServerSentThem()
    {
        DiskSnapshotCache cache = CacheIn(_directory);

        cache.Write(File("a"), 7, "h", new ModeState { Version = 3, Json = ByteString.CopyFromUtf8(ModesJson) });
        DiskSnapshotCacheLoad load = cache.Load();

        Assert.That(load.IsUsable, Is.True, load.Problem);
        Assert.That(load.ModesProblem, Is.Null);
        Assert.That(load.Modes!.Version, Is.EqualTo(3));
        Assert.That(load.Modes.Json.ToStringUtf8(), Is.EqualTo(ModesJson));
        Assert.That(load.Header!.FormatVersion, Is.EqualTo(1), "an added, optional member: older SDKs still read the flags");
    }

    [Test]
    public void Write_WithoutModes_HeaderHasNoModesMember()
    {
        DiskSnapshotCache cache = CacheIn(_directory);

        cache.Write(File("a"), 7, "h");
        string text = System.IO.File.ReadAllText(cache.FilePath);
        using JsonDocument header = JsonDocument.Parse(text[..text.IndexOf('\n')]);

        Assert.That(header.RootElement.TryGetProperty("modes", out _), Is.False, "the file looks exactly as before modes were cached");
        Assert.That(cache.Load().Modes, Is.Null);
    }

    [Test]
    public void Load_FileWrittenBeforeModesWereCached_LoadsItsFlagsWithNoModes()
    {
        DiskSnapshotCache cache = CacheIn(_directory);
        // The layout of the SDK before modes were cached: no "modes" member in the header.
        byte[] payload = Encoding.UTF8.GetBytes("""{"schema":1,"flags":[{"key":"wallet","kind":"bool","on":true,"variants":{"on":true,"off":false},"offVariant":"off","defaultRule":{"variant":"on"}}],"segments":[]}""");
        string header = $$"""{"format":"flagkit-snapshot-cache","formatVersion":1,"schema":1,"revision":12,"contentHash":"c0ffee","environment":"production","server":"http://127.0.0.1:5000/","writtenAt":"2026-11-27T10:00:00+00:00","payloadLength":{{payload.Length}},"payloadSha256":"{{Convert.ToHexStringLower(SHA256.HashData(payload))}}"}""";
        Directory.CreateDirectory(_directory);
        System.IO.File.WriteAllBytes(cache.FilePath, [.. Encoding.UTF8.GetBytes(header), (byte)'\n', .. payload]);

        DiskSnapshotCacheLoad load = cache.Load();

        Assert.That(load.IsUsable, Is.True, load.Problem);
        Assert.That(load.Header!.Revision, Is.EqualTo(12));
        Assert.That(load.File!.Flags.Select(f => f.Key), Is.EqualTo(new[] { "wallet" }));
        Assert.That((load.Modes, load.ModesProblem), Is.EqualTo(((ModeState?)null, (string?)null)));
    }

    [Test]
    public void Load_ModesDamaged_LoadsTheFlagsAndNamesTheModesProblem()
    {
        DiskSnapshotCache cache = CacheIn(_directory);
        cache.Write(File("a", "b"), 9, "h", new ModeState { Version = 4, Json = ByteString.CopyFromUtf8(ModesJson) });
        string text = System.IO.File.ReadAllText(cache.FilePath);
        Assert.That(text, Does.Contain("db upgrade"));
        System.IO.File.WriteAllText(cache.FilePath, text.Replace("db upgrade", "db upgrado", StringComparison.Ordinal));

        DiskSnapshotCacheLoad load = cache.Load();

        Assert.That(load.IsUsable, Is.True, load.Problem);
        Assert.That(load.File!.Flags, Has.Count.EqualTo(2));
        Assert.That(load.Modes, Is.Null);
        Assert.That(load.ModesProblem, Does.Contain("operating modes (version 4) do not match the SHA-256").And.Contain(cache.FilePath));
    }

    private static DiskSnapshotCache CacheIn(string directory, TimeProvider? time = null) =>
        new(DiskSnapshotCache.PathFor(directory, "production", "http://127.0.0.1:5000/"), "production", "http://127.0.0.1:5000/", time ?? new FakeTimeProvider());

    private static FlagFile File(params string[] keys) => new()
    {
        Flags = keys.Select(k => new FlagDocument
        {
            Key = k,
            On = true,
            Variants = new() { ["on"] = JsonSerializer.SerializeToElement(true), ["off"] = JsonSerializer.SerializeToElement(false) },
            OffVariant = "off",
            DefaultRule = new ServeDocument { Variant = "on" },
        }).ToList(),
    };

    private static byte[] Flip(byte[] bytes, int at)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[at] ^= 0x20;
        return copy;
    }

    private static byte[] ReplaceHeader(byte[] bytes, string from, string to)
    {
        string text = Encoding.UTF8.GetString(bytes);
        Assert.That(text, Does.Contain(from));
        return Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal));
    }
}
