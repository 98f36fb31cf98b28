using System.Net;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FlagKit.Console.Tests;

/// <summary>
/// One real flag server (loopback, real SQLite file, HTTP/1.1 port for the console) and one headless Chromium
/// (Debian's <c>/usr/bin/chromium</c>: browser downloads are not possible) per fixture; each test gets a fresh browser
/// context (no cookies) and page at 1280×800. Tests own their data: each seeds flags with its own keys.
/// </summary>
public abstract class ConsoleBrowserFixture
{
    /// <summary>Where the browser is: Debian's chromium package, or <c>FLAGKIT_CHROMIUM</c>.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("FLAGKIT_CHROMIUM") ?? "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private IBrowserContext? _context;

    /// <summary>The server.</summary>
    protected TestFlagServer Server { get; private set; } = null!;

    /// <summary>The console's base address, e.g. <c>http://127.0.0.1:41235</c>.</summary>
    protected Uri ConsoleAddress { get; private set; } = null!;

    /// <summary>This test's page.</summary>
    protected IPage Page { get; private set; } = null!;

    /// <summary>A viewer key created for this fixture.</summary>
    protected string ViewerKey { get; private set; } = "";

    /// <summary>Extra server settings for the fixture.</summary>
    /// <returns>Settings.</returns>
    protected virtual IReadOnlyDictionary<string, string?> ServerSettings() => new Dictionary<string, string?>();

    /// <summary>Last changes to the server's builder (e.g. a fake clock).</summary>
    /// <param name="builder">The builder.</param>
    protected virtual void ConfigureServer(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
    {
    }

    [OneTimeSetUp]
    public async Task StartServerAndBrowserAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"Chromium not found at {ChromiumPath}: install Debian's 'chromium' package (.ci/run does) or set FLAGKIT_CHROMIUM.");
        }

        var settings = new Dictionary<string, string?>(ServerSettings()) { ["FlagKit:Server:HttpPort"] = "0" };
        Server = await TestFlagServer.StartAsync(settings, configure: ConfigureServer);
        var addresses = Server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        ConsoleAddress = new Uri(addresses.Select(a => a.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)).First(a => new Uri(a).Port != Server.Address.Port));
        var viewer = await Server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "ops-viewer", Role = ApiKeyRole.Viewer });
        ViewerKey = viewer.Secret;

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // CI runs as root, where Chromium's sandbox cannot start.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    [OneTimeTearDown]
    public async Task StopServerAndBrowserAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    [SetUp]
    public async Task OpenPageAsync()
    {
        _context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = ConsoleAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        _context.SetDefaultTimeout(15_000);
        Page = await _context.NewPageAsync();
    }

    [TearDown]
    public async Task ClosePageAsync()
    {
        if (_context is not null)
        {
            if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed && Page is not null && !Page.IsClosed)
            {
                await ScreenshotAsync("failure");
            }

            await _context.CloseAsync();
        }
    }

    /// <summary>Signs in through the sign-in form, as a person would.</summary>
    /// <param name="key">The API key.</param>
    /// <returns>Completes on the page the console lands on.</returns>
    protected async Task SignInAsync(string key)
    {
        await Page.GotoAsync("/console/sign-in");
        await Page.GetByLabel("API key").FillAsync(key);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
    }

    /// <summary>A full-page screenshot attached to the test's results (under its output folder).</summary>
    /// <param name="name">What the page shows.</param>
    /// <returns>The file.</returns>
    protected async Task<string> ScreenshotAsync(string name)
    {
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var test = string.Concat(TestContext.CurrentContext.Test.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        var path = Path.Combine(directory, $"{test}-{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, name);
        return path;
    }

    /// <summary>Puts a flag into production through the admin API (the CLI's path), JSON as the flags file has it.</summary>
    /// <param name="json">The flag document.</param>
    /// <returns>The write's answer.</returns>
    protected Task<WriteResponse> PutFlagAsync(string json) =>
        Server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Flag,
            Json = Google.Protobuf.ByteString.CopyFromUtf8(json),
        }).ResponseAsync;

    /// <summary>A two-variant boolean flag, on, serving <c>on</c> to <paramref name="percent"/> % of accounts.</summary>
    /// <param name="key">The key.</param>
    /// <param name="percent">The rollout.</param>
    /// <param name="description">Its description.</param>
    /// <param name="tags">Tags.</param>
    /// <returns>The JSON.</returns>
    protected static string BoolFlag(string key, double percent = 100, string description = "", params string[] tags) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["key"] = key,
            ["kind"] = "bool",
            ["description"] = description,
            ["on"] = true,
            ["tags"] = tags,
            ["variants"] = new Dictionary<string, bool> { ["on"] = true, ["off"] = false },
            ["offVariant"] = "off",
            ["defaultRule"] = new Dictionary<string, object>
            {
                ["split"] = new Dictionary<string, object>
                {
                    ["variants"] = new[] { new Dictionary<string, object> { ["variant"] = "on", ["weight"] = percent }, new Dictionary<string, object> { ["variant"] = "off", ["weight"] = 100 - percent } },
                },
            },
        });

    /// <summary>An HTTP client on the console's port that keeps cookies and does not follow redirects.</summary>
    /// <returns>The client.</returns>
    protected HttpClient RawClient() => new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = ConsoleAddress };
}
