using System.Net;
using System.Net.Http.Headers;
using FlagKit.Protocol.V1;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Tests.Sync;
using FlagKit.Sources;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace FlagKit.Server.Tests.Metrics;

/// <summary>
/// <c>GET /metrics</c> on the HTTP/1.1 port of a real server, scraped with a real <see cref="HttpClient"/> after real
/// writes and with a real SDK connected: the figures are the server's, in the Prometheus text format; a key is needed.
/// </summary>
public sealed class PrometheusEndpointTests
{
    private const string Env = TestFlagServer.Environment;
    private TestFlagServer? _server;
    private FlagClient? _sdk;
    private string? _cache;
    private readonly HttpClient _http = new();

    [TearDown]
    public async Task TearDown()
    {
        if (_sdk is not null)
        {
            await _sdk.DisposeAsync();
            _sdk = null;
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }

        if (_cache is not null)
        {
            Directory.Delete(_cache, recursive: true);
            _cache = null;
        }
    }

    [OneTimeTearDown]
    public void OneTimeTearDown() => _http.Dispose();

    [Test]
    public async Task Scrape_AfterWritesWithAnSdkConnected_ShowsTheServersFigures()
    {
        var server = await StartAsync();
        await ConnectSdkAsync(server);
        for (var i = 0; i < 3; i++)
        {
            await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("flag-" + i)));
        }

        await server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Key = "flag-1", Change = FlagStateChange.Kill });
        await SyncWait.UntilAsync(() => _sdk!.Snapshot.Revision == 4, "the SDK holds the last write");

        using var response = await ScrapeAsync(server, TestFlagServer.AdminKey);
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(response.Content.Headers.ContentType?.ToString(), Does.StartWith("text/plain").And.Contain("version=0.0.4"));
        var scrape = PrometheusScrape.Parse(text);
        Assert.That(scrape.TypeOf("flagkit_server_writes_total") ?? scrape.TypeOf("flagkit_server_writes"), Is.EqualTo("counter"));
        Assert.That(scrape.Value("flagkit_server_writes_total", ("flagkit_environment", Env), ("flagkit_write_action", "PutDocument")), Is.EqualTo(3));
        Assert.That(scrape.Value("flagkit_server_writes_total", ("flagkit_environment", Env), ("flagkit_write_action", "SetFlagState")), Is.EqualTo(1));
        Assert.That(scrape.Value("flagkit_server_sync_streams", ("flagkit_environment", Env)), Is.EqualTo(1), "the SDK's stream");
        Assert.That(scrape.TypeOf("flagkit_server_write_duration_seconds"), Is.EqualTo("histogram"));
        var puts = new[] { ("flagkit_environment", Env), ("flagkit_write_action", "PutDocument") };
        Assert.That(scrape.Value("flagkit_server_write_duration_seconds_count", puts), Is.EqualTo(3));
        Assert.That(scrape.Value("flagkit_server_write_duration_seconds_bucket", [.. puts, ("le", "+Inf")]), Is.EqualTo(3));
        Assert.That(scrape.Value("flagkit_server_write_duration_seconds_sum", puts), Is.GreaterThan(0).And.LessThan(60));
        var buckets = scrape.Find("flagkit_server_write_duration_seconds_bucket", puts).Select(s => s.Value).ToList();
        Assert.That(buckets, Is.Ordered, "buckets are cumulative");
        Assert.That(scrape.Find("flagkit_server_write_duration_seconds_bucket", [.. puts, ("le", "0.01")]), Has.Count.EqualTo(1), "the server's own bucket bounds, in seconds");
        Assert.That(scrape.Value("flagkit_server_fanout_duration_seconds_count", ("flagkit_environment", Env)), Is.EqualTo(4), "each write reached the SDK's stream");
    }

    [Test]
    public async Task Scrape_KeyMissingUnknownOrSdk_RefusedAndViewerKeyAccepted()
    {
        var server = await StartAsync();
        var viewer = await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "prometheus", Role = ApiKeyRole.Viewer });

        using var none = await ScrapeAsync(server, key: null);
        using var unknown = await ScrapeAsync(server, "fk_viewer_not_a_key_of_this_server_000000");
        using var sdk = await ScrapeAsync(server, TestFlagServer.SdkKey);
        using var ok = await ScrapeAsync(server, viewer.Secret);

        Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(none.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(sdk.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await sdk.Content.ReadAsStringAsync(), Does.Contain("viewer or admin"));
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ok.Content.ReadAsStringAsync(), Does.Contain("flagkit_server_sync_streams"));
    }

    [Test]
    public async Task Scrape_RequireKeyOff_AnsweredWithoutKey()
    {
        var server = await StartAsync(new() { ["FlagKit:Server:MetricsRequireKey"] = "false" });

        using var response = await ScrapeAsync(server, key: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(PrometheusScrape.Parse(await response.Content.ReadAsStringAsync()).Value("flagkit_server_sync_streams", ("flagkit_environment", Env)), Is.Zero);
    }

    [Test]
    public async Task Scrape_MetricsOff_NotFoundAndTheMeterStillRecords()
    {
        var server = await StartAsync(new() { ["FlagKit:Server:Metrics"] = "false" });
        using var recorder = new MetricsRecorder(server.GetService<ServerMetrics>().Meter);
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("still-counted")));

        using var response = await ScrapeAsync(server, TestFlagServer.AdminKey);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(recorder.Sum("flagkit.server.writes"), Is.EqualTo(1));
    }

    private async Task<TestFlagServer> StartAsync(Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings["FlagKit:Server:HttpPort"] = "0";
        _server = await TestFlagServer.StartAsync(settings);
        return _server;
    }

    private Task<HttpResponseMessage> ScrapeAsync(TestFlagServer server, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(HttpAddress(server), "/metrics"));
        request.Headers.Accept.ParseAdd("text/plain; version=0.0.4");
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return _http.SendAsync(request);
    }

    /// <summary>The HTTP/1.1 port's address (the one that is not the gRPC port).</summary>
    private static Uri HttpAddress(TestFlagServer server) =>
        new(server.GetService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).Single(a => a.Port != server.Address.Port).ToString());

    private async Task ConnectSdkAsync(TestFlagServer server)
    {
        _cache = Directory.CreateTempSubdirectory("flagkit-prometheus-sdk-").FullName;
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = Env,
            AppName = "prometheus-tests",
            AppVersion = "1.0.0",
            CacheDirectory = _cache,
            StartTimeout = TimeSpan.FromSeconds(10),
        });
        _sdk = new FlagClient(source, new FlagClientOptions { StartTimeout = TimeSpan.FromSeconds(11) });
        await _sdk.StartAsync();
    }
}
