using System.Net;
using System.Text.Json;
using FlagKit.Sources;
using FlagKit.Tests.Modes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static FlagKit.Tests.Modes.ModeTestDocuments;

namespace FlagKit.Tests.AspNetCore;

/// <summary><c>UseReadOnlyMode</c> in a real Kestrel app on 127.0.0.1:0, with the modes a source delivered and a fake clock.</summary>
public sealed class ReadOnlyModeMiddlewareTests
{
    private FakeTimeProvider _time = null!;
    private FlagClient _flags = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    [SetUp]
    public async Task StartApp()
    {
        _time = new FakeTimeProvider(T0);
        _flags = ModeTestDocuments.NewClient(_time);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(_flags);
        builder.Services.AddSingleton<TimeProvider>(_time);
        _app = builder.Build();
        _app.UseRouting();
        _app.UseReadOnlyMode(o => o.Context = http => new EvaluationContext { Region = http.Request.Headers["X-Region"].ToString() });
        _app.MapGet("/items", () => "items");
        _app.MapPost("/items", () => Results.Created("/items/1", "created"));
        _app.MapPut("/items/1", () => "put");
        _app.MapPatch("/items/1", () => "patched");
        _app.MapDelete("/items/1", () => "deleted");
        _app.MapPost("/login", () => "signed in").AllowDuringReadOnly();
        _app.MapGet("/recompute", () => "recomputed").BlockDuringReadOnly();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    [TearDown]
    public async Task StopApp()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _flags.DisposeAsync();
    }

    [Test]
    public async Task Normal_MutatingRequest_Runs()
    {
        using var response = await _http.PostAsync("/items", null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task ReadOnly_MutatingRequests_Get503WithRetryAfterWhileReadsGoOn()
    {
        Publish(_flags, $$"""{"schema":1,"switches":[{"id":"s","mode":"read-only","until":"{{Time(T0.AddSeconds(90))}}"}]}""", 1);

        using var post = await _http.PostAsync("/items", null);
        using var get = await _http.GetAsync("/items");
        var others = new[]
        {
            await _http.PutAsync("/items/1", null), await _http.PatchAsync("/items/1", null), await _http.DeleteAsync("/items/1"),
        };

        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(post.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(90)));
        Assert.That(post.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var body = JsonDocument.Parse(await post.Content.ReadAsStringAsync());
        Assert.That(body.RootElement.GetProperty("mode").GetString(), Is.EqualTo("read-only"));
        Assert.That(body.RootElement.GetProperty("status").GetInt32(), Is.EqualTo(503));
        Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(others.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.ServiceUnavailable));
        foreach (var r in others)
        {
            r.Dispose();
        }
    }

    [Test]
    public async Task ReadOnly_EndpointOverrides_AllowAndBlock()
    {
        Publish(_flags, """{"schema":1,"switches":[{"id":"s","mode":"read-only"}]}""", 1);

        using var login = await _http.PostAsync("/login", null);
        using var recompute = await _http.GetAsync("/recompute");

        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(recompute.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(recompute.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(60)), "no end time: the default");
    }

    [Test]
    public async Task ReadOnly_ScopedToARegion_RefusesOnlyThatRegion()
    {
        Publish(_flags, """{"schema":1,"switches":[{"id":"s","mode":"read-only","scope":{"region":["eu"]}}]}""", 1);

        using var eu = await PostWithRegion("eu");
        using var us = await PostWithRegion("us");

        Assert.That(eu.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(us.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task ReadOnly_AtItsEnd_MutatingRequestsRunAgain()
    {
        Publish(_flags, $$"""{"schema":1,"switches":[{"id":"s","mode":"read-only","until":"{{Time(T0.AddSeconds(90))}}"}]}""", 1);
        using var during = await _http.PostAsync("/items", null);

        _time.Advance(TimeSpan.FromSeconds(90));
        using var after = await _http.PostAsync("/items", null);

        Assert.That(during.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task MaintenanceWindow_InForce_RefusesWithItsMessageAndEnd()
    {
        Publish(_flags, $$$"""{"schema":1,"windows":[{"id":"mw-1","start":"{{{Time(T0.AddMinutes(-1))}}}","end":"{{{Time(T0.AddMinutes(10))}}}","message":"database upgrade"}]}""", 1);

        using var post = await _http.PostAsync("/items", null);
        using var body = JsonDocument.Parse(await post.Content.ReadAsStringAsync());

        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(post.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromMinutes(10)));
        Assert.That(body.RootElement.GetProperty("mode").GetString(), Is.EqualTo("maintenance"));
        Assert.That(body.RootElement.GetProperty("detail").GetString(), Is.EqualTo("database upgrade"));
    }

    private Task<HttpResponseMessage> PostWithRegion(string region)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/items");
        request.Headers.Add("X-Region", region);
        return _http.SendAsync(request);
    }
}
