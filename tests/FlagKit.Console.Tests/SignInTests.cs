using System.Net;
using FlagKit.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlagKit.Console.Tests;

/// <summary>Sign-in and sign-out in a real browser; sessions, cookies, headers, antiforgery; nothing without a session.</summary>
[TestFixture]
public sealed class SignInTests : ConsoleBrowserFixture
{
    [Test]
    public async Task SignIn_AdminKey_ShowsFlagsAndTheKeyNameNeverTheKey()
    {
        await SignInAsync(TestFlagServer.AdminKey);

        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/flags$"));
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Flags in production" })).ToBeVisibleAsync();
        await Expect(Page.GetByText("Signed in as")).ToContainTextAsync("(admin)");
        Assert.That(await Page.ContentAsync(), Does.Not.Contain(TestFlagServer.AdminKey));
        Assert.That(Page.Url, Does.Not.Contain(TestFlagServer.AdminKey));
    }

    [Test]
    public async Task SignIn_SessionCookie_IsHttpOnlyStrictAndHoldsNoKey()
    {
        await SignInAsync(TestFlagServer.AdminKey);

        var cookies = await Page.Context.CookiesAsync();
        var session = cookies.Single(c => c.Name == "flagkit-console");
        Assert.Multiple(() =>
        {
            Assert.That(session.HttpOnly, Is.True);
            Assert.That(session.SameSite, Is.EqualTo(SameSiteAttribute.Strict));
            Assert.That(session.Path, Is.EqualTo("/console"));
            Assert.That(cookies.Select(c => c.Value), Has.None.Contains(TestFlagServer.AdminKey));
        });
    }

    [Test]
    public async Task SignOut_FromAnyPage_EndsTheSession()
    {
        await SignInAsync(TestFlagServer.AdminKey);

        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(Page.GetByText("You are signed out.")).ToBeVisibleAsync();
        await Page.GotoAsync("/console/flags");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task SignIn_UnknownKey_IsRefusedWithAMessage()
    {
        await Page.GotoAsync("/console/sign-in");
        await Page.GetByLabel("API key").FillAsync("fk_admin_not_a_real_key_000000000000");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That key is unknown or revoked.");
        Assert.That(await Page.ContentAsync(), Does.Not.Contain("fk_admin_not_a_real_key"));
    }

    [Test]
    public async Task SignIn_SdkKey_IsRefused()
    {
        await Page.GotoAsync("/console/sign-in");
        await Page.GetByLabel("API key").FillAsync(TestFlagServer.SdkKey);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("SDK keys cannot sign in");
    }

    [Test]
    public async Task Pages_WithoutSession_SendTheBrowserToSignInAndBack()
    {
        await Page.GotoAsync("/console/environments");

        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Page.GetByLabel("API key").FillAsync(TestFlagServer.AdminKey);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Environments" })).ToBeVisibleAsync();
    }

    [TestCase("/console")]
    [TestCase("/console/flags")]
    [TestCase("/console/flags/anything?env=production")]
    [TestCase("/console/environments")]
    [TestCase("/console/instances?env=production")]
    [TestCase("/console/evaluate?env=production")]
    [TestCase("/console/flags/anything/history?env=production")]
    public async Task Get_WithoutSession_RedirectsToSignInWithNoData(string path)
    {
        using var client = RawClient();

        using var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(response.Headers.Location!.AbsolutePath, Is.EqualTo("/console/sign-in"));
    }

    [TestCase("/console/sign-out")]
    [TestCase("/console/flags/anything/state?env=production")]
    [TestCase("/console/kill-tag?env=production")]
    public async Task Post_WithoutSession_IsUnauthorized(string path)
    {
        using var client = RawClient();

        using var response = await client.PostAsync(path, new FormUrlEncodedContent([]));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCase("/console/api/instances?env=production")]
    [TestCase("/console/api/rollout-preview?env=production&key=x&percent=5")]
    public async Task JsonEndpoints_WithoutSession_AreUnauthorized(string path)
    {
        using var client = RawClient();

        using var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Post_WithSessionButNoAntiforgeryToken_IsRefused()
    {
        await SignInAsync(TestFlagServer.AdminKey);

        // The browser's own cookies (session and antiforgery), but a form built by hand without the token.
        var response = await Page.APIRequest.PostAsync("/console/sign-out", new() { Form = Page.Context.APIRequest.CreateFormData() });

        Assert.That(response.Status, Is.EqualTo(400));
        await Page.ReloadAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task Pages_EveryResponse_CarriesAStrictContentSecurityPolicy()
    {
        var signIn = await Page.GotoAsync("/console/sign-in");
        await SignInAsync(TestFlagServer.AdminKey);
        var flags = await Page.GotoAsync("/console/flags");

        foreach (var response in new[] { signIn!, flags! })
        {
            var csp = await response.HeaderValueAsync("content-security-policy");
            Assert.That(csp, Does.Contain("script-src 'self'").And.Contain("default-src 'none'").And.Not.Contain("unsafe-inline"));
        }
    }

    [Test]
    public async Task Viewer_SignsIn_SeesReadOnlyRole()
    {
        await SignInAsync(ViewerKey);

        await Expect(Page.GetByText("Signed in as")).ToContainTextAsync("ops-viewer (viewer)");
    }

    [Test]
    public async Task Session_KeyRevokedAfterSignIn_EndsAtTheNextRequest()
    {
        var temp = await Server.Admin.CreateApiKeyAsync(new FlagKit.Protocol.V1.CreateApiKeyRequest { Name = "temp-admin", Role = FlagKit.Protocol.V1.ApiKeyRole.Admin });
        await SignInAsync(temp.Secret);

        await Server.Admin.RevokeApiKeyAsync(new FlagKit.Protocol.V1.RevokeApiKeyRequest { Id = temp.Key.Id });
        await Page.ReloadAsync();

        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }

    [Test]
    public void ViewerKey_OnTheAdminApi_IsPermissionDenied()
    {
        var admin = Server.CreateAdminClient(ViewerKey);

        var e = Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await admin.ListEnvironmentsAsync(new FlagKit.Protocol.V1.ListEnvironmentsRequest()));

        Assert.That(e!.StatusCode, Is.EqualTo(Grpc.Core.StatusCode.PermissionDenied));
        Assert.That(e.Status.Detail, Does.Contain("viewer key"));
        Assert.That(ViewerKey, Does.StartWith("fk_viewer_"));
    }
}
