using FlagKit.Server.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlagKit.Console.Tests;

/// <summary>A console session ends at its lifetime (absolute, on the server's clock), here a fake one.</summary>
[TestFixture]
public sealed class SessionExpiryTests : ConsoleBrowserFixture
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    protected override IReadOnlyDictionary<string, string?> ServerSettings() =>
        new Dictionary<string, string?> { ["FlagKit:Server:ConsoleSessionLifetime"] = "01:00:00" };

    protected override void ConfigureServer(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) =>
        builder.Services.AddSingleton<TimeProvider>(_time);

    [Test]
    public async Task Session_PastItsLifetime_SendsTheBrowserBackToSignIn()
    {
        await SignInAsync(TestFlagServer.AdminKey);
        _time.Advance(TimeSpan.FromMinutes(59));
        await Page.ReloadAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Flags in production" })).ToBeVisibleAsync();

        _time.Advance(TimeSpan.FromMinutes(2));
        await Page.ReloadAsync();

        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }
}
