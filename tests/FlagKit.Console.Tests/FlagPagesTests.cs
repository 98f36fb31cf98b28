using System.Text.RegularExpressions;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlagKit.Console.Tests;

/// <summary>The read pages: environments, the flag list with its URL filters, a flag's readable rules, escaping.</summary>
[TestFixture]
public sealed class FlagPagesTests : ConsoleBrowserFixture
{
    private const string Hostile = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">";

    [OneTimeSetUp]
    public async Task SeedAsync()
    {
        await Server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Segment,
            Json = Google.Protobuf.ByteString.CopyFromUtf8("""
                {"key":"beta-testers","description":"People in the beta","included":["acct-1"],"rules":[{"conditions":[{"attribute":"plan","op":"in","values":["beta"]}]}]}
                """),
        });
        await PutFlagAsync(BoolFlag("list-checkout-v2", 25, "New checkout flow", "checkout", "web"));
        await PutFlagAsync(BoolFlag("list-search-ranking", 100, "Ranking model v3", "search"));
        await PutFlagAsync(BoolFlag("list-payments-fallback", 0, "Fallback payment provider", "payments"));
        await Server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = TestFlagServer.Environment, Key = "list-payments-fallback", Change = FlagStateChange.Kill, Options = new WriteOptions { Comment = "INC-7" } });
        await PutFlagAsync(BoolFlag("list-xss", 50, Hostile, "security"));
        await PutFlagAsync("""
            {"key":"list-rules","kind":"bool","description":"Has rules","on":true,"tags":["checkout"],
             "variants":{"on":true,"off":false},"offVariant":"off",
             "rules":[
               {"id":"eu-beta","description":"EU beta","conditions":[{"attribute":"country","op":"in","values":["de","fr"]},{"attribute":"","op":"inSegment","values":["beta-testers"]}],"variant":"on"},
               {"id":"staff-split","conditions":[{"attribute":"email","op":"endsWith","values":["@example.com"]}],"split":{"variants":[{"variant":"on","weight":10},{"variant":"off","weight":90}]}}
             ],
             "defaultRule":{"variant":"off"}}
            """);
    }

    [Test]
    public async Task FlagList_EachRow_ShowsStateKillBadgeAndRollout()
    {
        await SignInAsync(TestFlagServer.AdminKey);

        var checkout = Page.GetByRole(AriaRole.Row).Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = "list-checkout-v2", Exact = true }) });
        await Expect(checkout).ToContainTextAsync("on");
        await Expect(checkout).ToContainTextAsync("25 %");
        var killed = Page.GetByRole(AriaRole.Row).Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = "list-payments-fallback" }) });
        await Expect(killed).ToContainTextAsync("KILLED");
        await Expect(killed).ToContainTextAsync("INC-7");
        await ScreenshotAsync("flags");
    }

    [Test]
    public async Task FlagList_SearchTagAndState_LiveInTheUrl()
    {
        await SignInAsync(TestFlagServer.AdminKey);

        await Page.GetByLabel("Search flags").FillAsync("checkout");
        await Page.GetByLabel("State").SelectOptionAsync("on");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex(@"q=checkout.*state=on"));
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "list-checkout-v2" })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "list-search-ranking" })).ToHaveCountAsync(0);

        // The URL alone (pasted into an incident channel) gives the same list.
        await Page.GotoAsync("/console/flags?env=production&tag=payments&state=killed");
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "list-payments-fallback" })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "list-checkout-v2" })).ToHaveCountAsync(0);
        await Expect(Page.GetByLabel("Tag", new() { Exact = true })).ToHaveValueAsync("payments");
    }

    [Test]
    public async Task FlagPage_Rules_ReadAsConditionsSegmentsAndSplits()
    {
        await SignInAsync(TestFlagServer.AdminKey);

        await Page.GetByRole(AriaRole.Link, new() { Name = "list-rules" }).ClickAsync();

        var targeting = Page.GetByRole(AriaRole.Region, new() { Name = "Targeting, in evaluation order" });
        await Expect(targeting).ToContainTextAsync("Rule eu-beta — EU beta: if country is one of \"de\", \"fr\" and in segment beta-testers → serve on");
        await Expect(targeting).ToContainTextAsync("if email ends with \"@example.com\" → serve on 10 % / off 90 %");
        await Expect(targeting).ToContainTextAsync("Segment beta-testers — People in the beta: plan is one of \"beta\"; included 1, excluded 0.");
        await Expect(targeting).ToContainTextAsync("Default rule: everyone else → serve off");
        await ScreenshotAsync("flag");
    }

    [Test]
    public async Task FlagPage_RawJson_IsOneClickAway()
    {
        await SignInAsync(ViewerKey);
        await Page.GotoAsync("/console/flags/list-rules?env=production");
        var raw = Page.GetByText("\"staff-split\"");
        await Expect(raw).Not.ToBeVisibleAsync();

        await Page.GetByText("Raw JSON").ClickAsync();

        await Expect(raw).ToBeVisibleAsync();
    }

    [Test]
    public async Task FlagText_HoldingScript_StaysTextOnListAndFlagPages()
    {
        await SignInAsync(TestFlagServer.AdminKey);

        foreach (var path in new[] { "/console/flags?env=production&q=list-xss", "/console/flags/list-xss?env=production" })
        {
            await Page.GotoAsync(path);

            await Expect(Page.GetByText(Hostile).First).ToBeVisibleAsync();
            Assert.That(await Page.EvaluateAsync<int>("document.querySelectorAll('script').length"), Is.EqualTo(1), "only the console's own script file");
            Assert.That(await Page.EvaluateAsync<int>("document.querySelectorAll('img').length"), Is.Zero);
            Assert.That(await Page.EvaluateAsync<bool>("typeof window.__xss === 'undefined'"), Is.True);
        }
    }

    [Test]
    public async Task FlagPage_UnknownFlag_IsNotFoundPage()
    {
        await SignInAsync(TestFlagServer.AdminKey);

        var response = await Page.GotoAsync("/console/flags/no-such-flag?env=production");

        Assert.That(response!.Status, Is.EqualTo(404));
        await Expect(Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Flag 'no-such-flag' does not exist in environment 'production'.");
    }

    [Test]
    public async Task Environments_ListEachWithRevisionAndCounts()
    {
        await Server.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = "staging" });
        await SignInAsync(ViewerKey);

        await Page.GetByRole(AriaRole.Link, new() { Name = "Environments" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Row, new() { Name = "staging" })).ToContainTextAsync("0");
        await ScreenshotAsync("environments");
        await Page.GetByRole(AriaRole.Link, new() { Name = "staging" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Flags in staging" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task FlagList_PhoneWidth_StaysReadable()
    {
        await Page.SetViewportSizeAsync(390, 844);
        await SignInAsync(TestFlagServer.AdminKey);

        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "list-checkout-v2" })).ToBeVisibleAsync();
        var overflow = await Page.EvaluateAsync<bool>("document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.That(overflow, Is.False, "no horizontal scrolling at phone width");
        await ScreenshotAsync("flags-phone");
    }

    [Test]
    public async Task History_TwoRevisions_ShowSideBySideDiffWithAuthorAndComment()
    {
        var first = (await PutFlagAsync(BoolFlag("hist-ramp", 5))).Revision;
        var second = (await Server.Admin.SetRolloutAsync(new SetRolloutRequest
        {
            Environment = TestFlagServer.Environment, Key = "hist-ramp", Percent = 40, Options = new WriteOptions { Comment = "ramp for the sale" },
        })).Revision;
        await SignInAsync(ViewerKey);
        await Page.GotoAsync("/console/flags/hist-ramp?env=production");

        await Page.GetByRole(AriaRole.Link, new() { Name = "History of hist-ramp" }).ClickAsync();

        var latest = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "ramp for the sale" });
        await Expect(latest).ToContainTextAsync("bootstrap admin");
        var diff = Page.GetByRole(AriaRole.Region, new() { Name = $"Revision {first} → revision {second}" });
        await Expect(diff.GetByRole(AriaRole.Row).Filter(new() { HasTextRegex = new Regex("−\\s*\"weight\": 5\\b") })).ToHaveCountAsync(1);
        await Expect(diff.GetByRole(AriaRole.Row).Filter(new() { HasTextRegex = new Regex("\\+\\s*\"weight\": 40\\b") })).ToHaveCountAsync(1);

        // Any two revisions, from the URL too.
        await Page.GetByLabel($"from r{second}").CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Compare" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex($"from={second}"));
        await Expect(Page.GetByText("No difference.")).ToBeVisibleAsync();
        await ScreenshotAsync("history");
    }
}
