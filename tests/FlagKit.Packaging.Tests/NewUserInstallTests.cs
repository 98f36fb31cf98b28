using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;

namespace FlagKit.Packaging.Tests;

/// <summary>
/// What a new user does with the repository: <c>eng/pack.sh</c> packs every package into a local feed and installs
/// the <c>flagkit</c> tool from it; a fresh console project outside the solution adds <c>FlagKit</c> from that feed
/// and evaluates a flag from a file; the installed <c>flagkit</c> answers <c>--help</c>.
/// </summary>
/// <remarks>
/// Packs once per run (the build output of this configuration, <c>--no-build</c>), under a version of its own
/// (<c>0.0.0-test.&lt;id&gt;</c>): NuGet caches a package by id and version, so a fixed version could restore an
/// older package from <c>~/.nuget/packages</c> instead of these bits. Removes those cache entries afterwards.
/// </remarks>
[TestFixture]
[NonParallelizable]
public sealed class NewUserInstallTests
{
    private static readonly string[] PackageIds = ["FlagKit.Protocol", "FlagKit", "FlagKit.Extensions.Hosting", "FlagKit.Testing", "FlagKit.Tool"];
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(5);

    private string _root = "";
    private string _feed = "";
    private string _tools = "";
    private string _version = "";

    private static string RepoRoot => Metadata("RepoRoot");

    [OneTimeSetUp]
    public async Task PackIntoATemporaryFeed()
    {
        _root = Path.Combine(Path.GetTempPath(), "flagkit-new-user-" + Guid.NewGuid().ToString("N")[..12]);
        _feed = Path.Combine(_root, "feed");
        _tools = Path.Combine(_root, "tools");
        _version = "0.0.0-test." + Guid.NewGuid().ToString("N")[..12];
        Directory.CreateDirectory(_root);
        await ProcessRunner.RunOkAsync(
            "bash",
            [Path.Combine(RepoRoot, "eng", "pack.sh"), _feed, "--tool-path", _tools, "--version", _version, "--no-build", "-c", Metadata("Configuration")],
            RepoRoot,
            Slow);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        if (_root.Length > 0 && Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in PackageIds)
        {
            string entry = Path.Combine(cache, id.ToLowerInvariant(), _version);
            if (_version.Length > 0 && Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
        }
    }

    [Test]
    public void Feed_HoldsEveryPackage_EachWithItsReadmeAndTheRepository()
    {
        foreach (string id in PackageIds)
        {
            XElement metadata = NuspecMetadata(id);
            string readme = Element(metadata, "readme")?.Value ?? "";
            XElement? repository = Element(metadata, "repository");

            Assert.That(readme, Is.Not.Empty, $"{id} names its README");
            using (ZipArchive package = ZipFile.OpenRead(PackagePath(id)))
            {
                Assert.That(package.GetEntry(readme), Is.Not.Null, $"{id} carries {readme}");
            }

            Assert.That(repository?.Attribute("url")?.Value, Is.EqualTo("https://github.com/flagkit/flagkit"), $"{id} repository url");
            Assert.That(repository?.Attribute("commit")?.Value, Has.Length.EqualTo(40), $"{id} repository commit (Source Link)");
        }
    }

    [Test]
    public void FlagKitPackage_DependsOnNoHostingDiOrHealthCheckPackage()
    {
        string[] dependencies = [.. NuspecMetadata("FlagKit").Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).Order()];

        Assert.That(dependencies, Is.EqualTo(new[]
        {
            "FlagKit.Protocol",
            "Google.Protobuf",
            "Grpc.Net.Client",
            "Microsoft.Extensions.Caching.Memory",
            "Microsoft.Extensions.Logging.Abstractions",
        }));
    }

    [Test]
    public async Task NewConsoleProject_AddsFlagKitFromTheFeed_EvaluatesAFlagFromAFile()
    {
        string app = Path.Combine(_root, "game");
        Directory.CreateDirectory(app);
        // The README's lines: a nuget.config with nuget.org (`dotnet new nugetconfig`) plus the local feed, then the package.
        await ProcessRunner.RunOkAsync("dotnet", ["new", "console", "--name", "Game", "--output", app, "--no-restore", "--no-update-check"], app, Slow);
        await ProcessRunner.RunOkAsync("dotnet", ["new", "nugetconfig", "--output", app, "--no-update-check"], app, Slow);
        await ProcessRunner.RunOkAsync("dotnet", ["nuget", "add", "source", _feed, "--name", "flagkit-local", "--configfile", Path.Combine(app, "nuget.config")], app, Slow);
        await ProcessRunner.RunOkAsync("dotnet", ["add", "package", "FlagKit", "--version", _version], app, Slow);
        await File.WriteAllTextAsync(Path.Combine(app, "flags.json"), """
            { "schema": 1, "flags": [
              { "key": "new-bonus-engine", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off",
                "targets": { "on": ["player-42"] }, "defaultRule": { "variant": "off" } }
            ] }
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using FlagKit;
            using FlagKit.Sources;

            await using var flags = new FlagClient(new FileFlagSource(args[0]));
            await flags.StartAsync();
            bool targeted = flags.IsEnabled("new-bonus-engine", new EvaluationContext { AccountId = "player-42" });
            bool other = flags.IsEnabled("new-bonus-engine", new EvaluationContext { AccountId = "player-7" });
            Console.WriteLine($"status={flags.Status} player-42={targeted} player-7={other}");
            """);

        string output = await ProcessRunner.RunOkAsync("dotnet", ["run", "--", Path.Combine(app, "flags.json")], app, Slow);
        string assets = await File.ReadAllTextAsync(Path.Combine(app, "obj", "project.assets.json"));

        Assert.That(output, Does.Contain("status=Ready player-42=True player-7=False"));
        Assert.That(assets, Does.Contain($"\"FlagKit/{_version}\""), "restored the freshly packed FlagKit");
        Assert.That(assets, Does.Not.Contain("Microsoft.Extensions.Hosting").And.Not.Contain("HealthChecks").And.Not.Contain("FlagKit.Extensions.Hosting"));
    }

    [Test]
    public async Task Tool_InstalledFromTheFeed_AnswersHelpAndRollsForwardToNewerRuntimes()
    {
        string output = await ProcessRunner.RunOkAsync(Path.Combine(_tools, "flagkit"), ["--help"], _root, TimeSpan.FromMinutes(1));
        string runtimeConfig = Directory.GetFiles(Path.Combine(_tools, ".store"), "FlagKit.Cli.runtimeconfig.json", SearchOption.AllDirectories).Single();

        Assert.That(output, Does.Contain("Usage:").And.Contain("flagkit"));
        Assert.That(runtimeConfig, Does.Contain(_version), "the tool installed is the one just packed");
        Assert.That(await File.ReadAllTextAsync(runtimeConfig), Does.Contain("\"rollForward\": \"Major\""));
    }

    private static string Metadata(string key) =>
        typeof(NewUserInstallTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static XElement? Element(XElement parent, string name) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    private string PackagePath(string id) => Path.Combine(_feed, $"{id}.{_version}.nupkg");

    private XElement NuspecMetadata(string id)
    {
        string path = PackagePath(id);
        Assert.That(File.Exists(path), Is.True, $"{id}.{_version}.nupkg in the feed");
        using ZipArchive package = ZipFile.OpenRead(path);
        ZipArchiveEntry nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }
}
