using System.Net;
using System.Net.Sockets;
using FlagKit.Compilation;
using FlagKit.Sources;
using FlagKit.Sources.Caching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using System.Text;

namespace FlagKit.Tests.DependencyInjection;

public sealed class FlagKitServiceCollectionExtensionsTests
{
    private const string FlagsJson = """
        { "schema": 1, "flags": [
          { "key": "checkout-v2", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }
        ] }
        """;

    private string _directory = "";

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "flagkit-di-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task AddFlagKit_FlagsFileFromConfiguration_HostStartsAClientServingTheFile()
    {
        string file = Path.Combine(_directory, "flags.json");
        await File.WriteAllTextAsync(file, FlagsJson);
        using IHost host = BuildHost(new() { ["FlagKit:FlagsFile"] = file, ["FlagKit:StartTimeout"] = "00:00:10" }, health: true);

        await host.StartAsync();
        var client = host.Services.GetRequiredService<FlagClient>();
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
        Assert.That(health.Entries["flagkit"].Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(health.Entries["flagkit"].Data["flags"], Is.EqualTo(1));
    }

    [Test]
    public void AddFlagKit_InvalidOptions_HostStartFailsNamingTheSetting()
    {
        using IHost host = BuildHost(new() { ["FlagKit:ServerUrl"] = "http://127.0.0.1:1", ["FlagKit:Environment"] = "production" });

        Assert.That(async () => await host.StartAsync(), Throws.InstanceOf<OptionsValidationException>().With.Message.Contains("FlagKit:ApiKey is required"));
    }

    [Test]
    public async Task AddFlagKit_Lambda_ConfiguresTheOptions()
    {
        var services = new ServiceCollection();
        services.AddFlagKit(o =>
        {
            o.ServerUrl = "http://127.0.0.1:1";
            o.ApiKey = "sdk-key";
            o.Environment = "staging";
        });
        await using ServiceProvider provider = services.BuildServiceProvider();

        FlagKitOptions options = provider.GetRequiredService<IOptions<FlagKitOptions>>().Value;

        Assert.That(options.Environment, Is.EqualTo("staging"));
        Assert.That(provider.GetRequiredService<FlagSource>(), Is.TypeOf<GrpcFlagSource>());
    }

    [Test]
    public async Task AddFlagKit_SourceRegisteredBefore_IsUsedAndNeedsNoServerOrFile()
    {
        var services = new ServiceCollection();
        services.AddSingleton<FlagSource>(new InMemoryFlagSource(TestFile()));
        services.AddFlagKit(o => o.StartTimeout = TimeSpan.FromSeconds(10));
        await using ServiceProvider provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<FlagClient>();
        await client.StartAsync();

        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
    }

    [Test]
    public async Task AddFlagKit_ContainerDisposedSynchronously_DoesNotThrowAndStopsTheSource()
    {
        // A plain ServiceProvider disposed with Dispose() throws for a singleton that is only IAsyncDisposable.
        var services = new ServiceCollection();
        services.AddFlagKit(o =>
        {
            o.ServerUrl = $"http://127.0.0.1:{ClosedPort()}";
            o.ApiKey = "sdk-key";
            o.Environment = "production";
            o.ReconnectMinDelay = TimeSpan.FromMilliseconds(50);
            o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
        });
        ServiceProvider provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<FlagClient>();
        await Task.Delay(100); // let the source's loop run (and fail to connect) before the container goes

        Assert.That(() => provider.Dispose(), Throws.Nothing);
        Assert.That(() => client.StartAsync(), Throws.InstanceOf<ObjectDisposedException>(), "the client was disposed with the container");
    }

    [Test]
    public void AddFlagKit_FileClientInAContainerDisposedSynchronously_DoesNotThrow()
    {
        string file = Path.Combine(_directory, "flags.json");
        File.WriteAllText(file, FlagsJson);
        var services = new ServiceCollection();
        services.AddFlagKit(o => o.FlagsFile = file);
        ServiceProvider provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<FlagClient>();

        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
        Assert.That(() => provider.Dispose(), Throws.Nothing);
    }

    [Test]
    public async Task AddFlagKit_ServerUnreachableWithADiskCache_ServesTheCacheAndReportsDegraded()
    {
        string url = $"http://127.0.0.1:{ClosedPort()}";
        var cache = new DiskSnapshotCache(DiskSnapshotCache.PathFor(_directory, "production", new Uri(url).ToString()), "production", new Uri(url).ToString(), TimeProvider.System);
        cache.Write(TestFile(), revision: 17, contentHash: "h");
        using IHost host = BuildHost(Unreachable(url, cacheDirectory: _directory), health: true);

        await host.StartAsync();
        var client = host.Services.GetRequiredService<FlagClient>();
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Stale));
        Assert.That(client.Snapshot.Revision, Is.EqualTo(17));
        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
        Assert.That(health.Entries["flagkit"].Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(health.Entries["flagkit"].Description, Does.Contain("disk cache").And.Contain("revision 17"));
    }

    [Test]
    public async Task AddFlagKit_ServerUnreachableAndNoCache_ReportsUnhealthyWithTheReason()
    {
        string url = $"http://127.0.0.1:{ClosedPort()}";
        using IHost host = BuildHost(Unreachable(url, cacheDirectory: null), health: true);

        await host.StartAsync();
        var client = host.Services.GetRequiredService<FlagClient>();
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Starting));
        Assert.That(health.Entries["flagkit"].Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(health.Entries["flagkit"].Description, Does.Contain("nothing to serve").And.Contain("127.0.0.1"));
    }

    [Test]
    public async Task AddKeyedFlagKit_TwoEnvironments_EachClientResolvedByItsKeyServesItsOwnFlags()
    {
        string production = Path.Combine(_directory, "production.json");
        string staging = Path.Combine(_directory, "staging.json");
        await File.WriteAllTextAsync(production, FlagsJson);
        await File.WriteAllTextAsync(staging, FlagsJson.Replace("\"defaultRule\": { \"variant\": \"on\" }", "\"defaultRule\": { \"variant\": \"off\" }", StringComparison.Ordinal));
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlagKit:FlagsFile"] = production,
            ["FlagKit:Staging:FlagsFile"] = staging,
        });
        builder.Services.AddFlagKit(builder.Configuration.GetSection("FlagKit"));
        builder.Services.AddKeyedFlagKit("staging", builder.Configuration.GetSection("FlagKit:Staging"));
        builder.Services.AddHealthChecks().AddFlagKit().AddKeyedFlagKit("staging");
        builder.Services.AddSingleton<TwoEnvironments>();
        using IHost host = builder.Build();

        await host.StartAsync();
        var both = host.Services.GetRequiredService<TwoEnvironments>();
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        Assert.That(both.Staging, Is.Not.SameAs(both.Production));
        Assert.That(both.Staging.Status, Is.EqualTo(FlagClientStatus.Ready), "the hosted service started the keyed client too");
        Assert.That(both.Production.IsEnabled("checkout-v2"), Is.True);
        Assert.That(both.Staging.IsEnabled("checkout-v2"), Is.False);
        Assert.That(host.Services.GetRequiredKeyedService<FlagSource>("staging"), Is.TypeOf<FileFlagSource>());
        Assert.That(health.Entries["flagkit"].Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(health.Entries["flagkit-staging"].Status, Is.EqualTo(HealthStatus.Healthy));
    }

    [Test]
    public void AddKeyedFlagKit_InvalidOptions_HostStartFailsNamingTheSection()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["FlagKit:Staging:ServerUrl"] = "http://127.0.0.1:1", ["FlagKit:Staging:ApiKey"] = "sdk-key" });
        builder.Services.AddKeyedFlagKit("staging", builder.Configuration.GetSection("FlagKit:Staging"));
        using IHost host = builder.Build();

        Assert.That(async () => await host.StartAsync(), Throws.InstanceOf<OptionsValidationException>().With.Message.Contains("FlagKit:Staging:Environment is required"));
    }

    [Test]
    public async Task AddKeyedFlagKit_SourceRegisteredBeforeWithTheKey_IsUsedAndTheDefaultClientIsNotRegistered()
    {
        var services = new ServiceCollection();
        services.AddKeyedSingleton<FlagSource>("tests", new InMemoryFlagSource(TestFile()));
        services.AddKeyedFlagKit("tests", o => o.StartTimeout = TimeSpan.FromSeconds(10));
        await using ServiceProvider provider = services.BuildServiceProvider();

        var client = provider.GetRequiredKeyedService<FlagClient>("tests");
        await client.StartAsync();

        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
        Assert.That(provider.GetService<FlagClient>(), Is.Null);
    }

    private static Dictionary<string, string?> Unreachable(string url, string? cacheDirectory) => new()
    {
        ["FlagKit:ServerUrl"] = url,
        ["FlagKit:ApiKey"] = "sdk-key",
        ["FlagKit:Environment"] = "production",
        ["FlagKit:CacheDirectory"] = cacheDirectory,
        ["FlagKit:StartTimeout"] = "00:00:00.300",
        ["FlagKit:ReconnectMinDelay"] = "00:00:00.050",
        ["FlagKit:ReconnectMaxDelay"] = "00:00:00.200",
    };

    private static IHost BuildHost(Dictionary<string, string?> settings, bool health = false)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddFlagKit(builder.Configuration.GetSection("FlagKit"));
        if (health)
        {
            builder.Services.AddHealthChecks().AddFlagKit();
        }

        return builder.Build();
    }

    private static global::FlagKit.Documents.FlagFile TestFile() => FlagJson.ParseFile(Encoding.UTF8.GetBytes(FlagsJson), "test");

    /// <summary>A loopback port nothing listens on (bound then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A service taking both clients, the way application code does.</summary>
    private sealed class TwoEnvironments(FlagClient production, [FromKeyedServices("staging")] FlagClient staging)
    {
        public FlagClient Production { get; } = production;

        public FlagClient Staging { get; } = staging;
    }
}
