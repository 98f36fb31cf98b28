using System.Text.RegularExpressions;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;
using Grpc.Core;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlagKit.Console.Tests;

/// <summary>Writes from the console, checked through the admin API and history: they are the admin API's writes.</summary>
[TestFixture]
public sealed class WriteTests : ConsoleBrowserFixture
{
    private const string Env = TestFlagServer.Environment;

    [Test]
    public async Task Flip_FromTheFlagPage_DisablesItWithTheKeyNameAsAuthor()
    {
        await PutFlagAsync(BoolFlag("w-flip", 100));
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags/w-flip?env=production");

        await Page.GetByLabel("Reason (on/off)").FillAsync("drill");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Disable w-flip in production" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Disabled" })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Enable w-flip in production" })).ToBeVisibleAsync();
        Assert.That(await FlagAsync("w-flip"), Does.Contain("\"on\": false").Or.Contain("\"on\":false"));
        var history = await Server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = "w-flip", Limit = 1 });
        Assert.That(history.Entries[0].Author, Is.EqualTo("bootstrap admin"));
        Assert.That(history.Entries[0].Comment, Is.EqualTo("drill"));
    }

    [Test]
    public async Task Flip_FromTheListRow_ButtonNamesFlagAndEnvironment()
    {
        await PutFlagAsync(BoolFlag("w-row", 100));
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags?env=production&q=w-row");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Disable w-row in production" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex("q=w-row"));
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = "w-row" }) });
        await Expect(row).ToContainTextAsync("off");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Enable w-row in production" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task Ramp_WithTheSlider_PreviewsOnRealBucketingThenSaves()
    {
        await PutFlagAsync(BoolFlag("w-ramp", 5));
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags/w-ramp?env=production");
        await Expect(Page.GetByText(new Regex(@"^≈ [45](\.\d)? %: \d{3} of 10 000 sample accounts$"))).ToBeVisibleAsync();

        await Page.GetByLabel("Rollout of w-ramp in production").FillAsync("25");

        var preview = Page.GetByText(new Regex(@"^≈ 2\d(\.\d)? %: 2 \d{3} of 10 000 sample accounts$"));
        await Expect(preview).ToBeVisibleAsync();
        var served = int.Parse(Regex.Match(await preview.TextContentAsync() ?? "", @"2 (\d{3})").Value.Replace(" ", ""), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(served, Is.InRange(2300, 2700), "25 % of 10 000 accounts bucketed by the SDK's hash");
        await ScreenshotAsync("flag-ramp");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save rollout" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Rollout saved" })).ToBeVisibleAsync();
        Assert.That(await FlagAsync("w-ramp"), Does.Match("\"variant\":\\s*\"on\",\\s*\"weight\":\\s*25\\b"));
    }

    [Test]
    public async Task Kill_NeedsTheKeyTypedToConfirm()
    {
        await PutFlagAsync(BoolFlag("w-kill", 50));
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags/w-kill?env=production");

        await Page.GetByLabel("Type w-kill to confirm the kill").FillAsync("w-kil");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Kill w-kill in production" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Not killed: type the flag key 'w-kill' exactly to confirm the kill.");
        Assert.That(await FlagAsync("w-kill"), Does.Not.Contain("\"killed\": true"));

        await Page.GetByLabel("Type w-kill to confirm the kill").FillAsync("w-kill");
        await Page.GetByLabel("Reason (kill)").FillAsync("INC-42");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Kill w-kill in production" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Killed" })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Unkill w-kill in production" })).ToBeVisibleAsync();
        var flag = await Server.Admin.ListFlagsAsync(new ListFlagsRequest { Environment = Env, State = FlagStateFilter.Killed });
        Assert.That(flag.Flags.Select(f => f.Key), Does.Contain("w-kill"));
    }

    [Test]
    public async Task Viewer_SeesNoWriteControls_AndAHandBuiltWriteIsForbidden()
    {
        var before = (await PutFlagAsync(BoolFlag("w-viewer", 100))).Revision;
        await SignInAsync(ViewerKey);
        await Page.GotoAsync("/console/flags/w-viewer?env=production");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Disable w-viewer in production" })).ToHaveCountAsync(0);
        await Expect(Page.GetByLabel("Rollout of w-viewer in production")).ToHaveCountAsync(0);

        // A real antiforgery token and the viewer's own session: still refused, by role.
        var token = await Page.Locator("input[name=__csrf]").First.GetAttributeAsync("value");
        var form = Page.Context.APIRequest.CreateFormData();
        form.Set("__csrf", token!);
        form.Set("change", "disable");
        form.Set("seen", before.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await Page.Context.APIRequest.PostAsync("/console/flags/w-viewer/state?env=production", new() { Form = form });

        Assert.That(response.Status, Is.EqualTo(403));
        Assert.That(await FlagAsync("w-viewer"), Does.Contain("\"on\": true").Or.Contain("\"on\":true"));
    }

    [Test]
    public async Task Edit_Refused_ShowsTheCompilersMessageInline()
    {
        await PutFlagAsync(BoolFlag("w-edit", 50));
        const string Bad = """
            {"key":"w-edit","kind":"bool","on":true,"variants":{"on":true,"off":false},"offVariant":"off",
             "rules":[{"id":"r1","conditions":[{"attribute":"country","op":"bogus","values":["de"]}],"variant":"on"}],
             "defaultRule":{"variant":"off"}}
            """;
        var expected = Assert.ThrowsAsync<RpcException>(async () => await PutFlagAsync(Bad))!.Status.Detail;
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags/w-edit?env=production");

        await Page.GetByText("Edit JSON").ClickAsync();
        await Page.GetByLabel("Flag JSON").FillAsync(Bad);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save JSON" }).ClickAsync();

        var editor = Page.GetByLabel("Flag JSON");
        await Expect(editor).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(expected);
        await Expect(editor).ToHaveValueAsync(Bad);
        Assert.That(expected, Does.Contain("bogus"));
    }

    [Test]
    public async Task Rollback_FromHistory_RestoresTheEarlierRevision()
    {
        var first = (await PutFlagAsync(BoolFlag("w-back", 10))).Revision;
        await Server.Admin.SetRolloutAsync(new SetRolloutRequest { Environment = Env, Key = "w-back", Percent = 90 });
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags/w-back/history?env=production");

        await Page.GetByRole(AriaRole.Button, new() { Name = $"Roll back w-back to revision {first}" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Rolled back" })).ToBeVisibleAsync();
        Assert.That(await FlagAsync("w-back"), Does.Match("\"variant\":\\s*\"on\",\\s*\"weight\":\\s*10\\b"));
    }

    [Test]
    public async Task StalePage_Saving_IsToldWhatChangedAndByWhom()
    {
        await PutFlagAsync(BoolFlag("w-stale", 30));
        var lead = await Server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "ops-lead", Role = ApiKeyRole.Admin });
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags/w-stale?env=production");

        await Server.CreateAdminClient(lead.Secret).SetRolloutAsync(new SetRolloutRequest { Environment = Env, Key = "w-stale", Percent = 60 });
        await Page.GetByRole(AriaRole.Button, new() { Name = "Disable w-stale in production" }).ClickAsync();

        var alert = Page.GetByRole(AriaRole.Alert);
        await Expect(alert).ToContainTextAsync("Not saved: this page was out of date");
        await Expect(alert).ToContainTextAsync("ops-lead");
        await Expect(alert).ToContainTextAsync("30% → 60%");
        Assert.That(await FlagAsync("w-stale"), Does.Contain("\"on\": true").Or.Contain("\"on\":true"));
    }

    [Test]
    public async Task KillByTag_FromTheList_OneConfirmationOneHistoryEntryPerFlag()
    {
        await PutFlagAsync(BoolFlag("w-pay-a", 100, "", "payouts-x"));
        await PutFlagAsync(BoolFlag("w-pay-b", 100, "", "payouts-x"));
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags?env=production&tag=payouts-x");

        await Page.GetByLabel("Type payouts-x to confirm killing every flag tagged payouts-x in production").FillAsync("payouts-x");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Kill every flag tagged payouts-x in production" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Every flag with this tag killed" })).ToBeVisibleAsync();
        await Expect(Page.GetByText("KILLED", new() { Exact = true })).ToHaveCountAsync(2);
        var history = await Server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Limit = 2 });
        Assert.That(history.Entries.Select(e => e.Key), Is.EquivalentTo(new[] { "w-pay-a", "w-pay-b" }));
        Assert.That(history.Entries.Select(e => e.Revision).Distinct().Count(), Is.EqualTo(1), "one write");
    }

    [Test]
    public async Task Write_WithoutAntiforgeryToken_IsRefusedAndNothingChanges()
    {
        var seen = (await PutFlagAsync(BoolFlag("w-csrf", 100))).Revision;
        await SignInAsync(TestFlagServer.AdminKey);
        var form = Page.Context.APIRequest.CreateFormData();
        form.Set("change", "disable");
        form.Set("seen", seen.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var response = await Page.Context.APIRequest.PostAsync("/console/flags/w-csrf/state?env=production", new() { Form = form });

        Assert.That(response.Status, Is.EqualTo(400));
        Assert.That(await FlagAsync("w-csrf"), Does.Contain("\"on\": true").Or.Contain("\"on\":true"));
    }

    [Test]
    public async Task Kill_FromTheKeyboardOnly_Works()
    {
        await PutFlagAsync(BoolFlag("w-keys", 100));
        await SignInAsync(TestFlagServer.AdminKey);
        await Page.GotoAsync("/console/flags/w-keys?env=production");
        var confirm = Page.GetByLabel("Type w-keys to confirm the kill");

        // Tab from the top of the page until the confirmation field has the focus, then type and submit with Enter.
        for (var i = 0; i < 40 && !await confirm.EvaluateAsync<bool>("e => e === document.activeElement"); i++)
        {
            await Page.Keyboard.PressAsync("Tab");
        }

        await Page.Keyboard.TypeAsync("w-keys");
        await Page.Keyboard.PressAsync("Tab");
        await Page.Keyboard.PressAsync("Tab");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Kill w-keys in production" })).ToBeFocusedAsync();
        await Page.Keyboard.PressAsync("Enter");

        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Killed" })).ToBeVisibleAsync();
    }

    private async Task<string> FlagAsync(string key) =>
        (await Server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = key })).Json.ToStringUtf8();
}
