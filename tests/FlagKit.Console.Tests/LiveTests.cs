using System.Text.RegularExpressions;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;
using FlagKit.Sources;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlagKit.Console.Tests;

/// <summary>The instances page with a real SDK following the server, and the evaluation console.</summary>
[TestFixture]
public sealed class LiveTests : ConsoleBrowserFixture
{
    private readonly List<IAsyncDisposable> _clients = [];

    [TearDown]
    public async Task StopClientsAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _clients.Clear();
    }

    [Test]
    public async Task Instances_RealSdk_AppliedRevisionChangesLiveAfterAWrite()
    {
        await PutFlagAsync(BoolFlag("live-banner", 10));
        var client = await ConnectSdkAsync("checkout-service");
        var before = client.Snapshot.Revision;
        await SignInAsync(ViewerKey);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Instances" }).ClickAsync();
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "checkout-service" });
        await Expect(row).ToContainTextAsync("flagkit-dotnet");
        await Expect(row.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync(before.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var after = (await PutFlagAsync(BoolFlag("live-banner", 20))).Revision;

        // No reload: the page polls.
        await Expect(row.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync(after.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(row).ToContainTextAsync("up to date");
        await ScreenshotAsync("instances");
    }

    [Test]
    public async Task Evaluate_FromTheFlagPage_ShowsVariantReasonAndMatchedRule()
    {
        await PutFlagAsync("""
            {"key":"eval-checkout","kind":"bool","on":true,"variants":{"on":true,"off":false},"offVariant":"off",
             "rules":[{"id":"eu","conditions":[{"attribute":"country","op":"in","values":["de","fr"]}],"variant":"on"}],
             "defaultRule":{"variant":"off"}}
            """);
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags/eval-checkout?env=production");

        await Page.GetByRole(AriaRole.Link, new() { Name = "Evaluate eval-checkout for a context" }).ClickAsync();
        await Expect(Page.GetByLabel("Flag")).ToHaveValueAsync("eval-checkout");
        await Page.GetByLabel("Context (JSON)").FillAsync("""{"accountId": "acct-9", "country": "de"}""");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Evaluate" }).ClickAsync();

        var result = Page.GetByRole(AriaRole.Region, new() { NameRegex = new Regex("^Result for eval-checkout") });
        var answers = result.GetByRole(AriaRole.Definition);
        await Expect(answers.Nth(0)).ToHaveTextAsync("on");
        await Expect(answers.Nth(2)).ToHaveTextAsync("RuleMatch");
        await Expect(answers.Nth(3)).ToHaveTextAsync("eu: country is one of \"de\", \"fr\"");
        await Expect(Page).ToHaveURLAsync(new Regex("context=.*country"));
        await ScreenshotAsync("evaluate");

        await Page.GetByLabel("Context (JSON)").FillAsync("""{"accountId": "acct-9", "country": "us"}""");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Evaluate" }).ClickAsync();
        await Expect(answers.Nth(2)).ToHaveTextAsync("Default");
        await Expect(answers.Nth(0)).ToHaveTextAsync("off");
    }

    [Test]
    public async Task Evaluate_BadContext_SaysWhatIsWrong()
    {
        await PutFlagAsync(BoolFlag("eval-bad", 50));
        await SignInAsync(TestFlagServer.AdminKey);

        await Page.GotoAsync("/console/evaluate?env=production&flag=eval-bad&context=" + Uri.EscapeDataString("""{"plan": ["a"]}"""));

        await Expect(Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The context attribute 'plan' must be a string, a number or a boolean.");
    }

    private async Task<FlagClient> ConnectSdkAsync(string app)
    {
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = Server.Address,
            ApiKey = TestFlagServer.SdkKey,
            Environment = TestFlagServer.Environment,
            AppName = app,
            AppVersion = "2.1.0",
            StartTimeout = TimeSpan.FromSeconds(10),
        });
        var client = new FlagClient(source, new FlagClientOptions { StartTimeout = TimeSpan.FromSeconds(11) });
        _clients.Add(client);
        await client.StartAsync();
        return client;
    }
}
