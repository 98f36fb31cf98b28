using System.Net;
using FlagKit.AspNetCore;
using FlagKit.Sources;
using FlagKit.Telemetry;
using FlagKit.Tests.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlagKit.Tests.AspNetCore;

/// <summary>
/// The request outcome middleware in a real Kestrel on 127.0.0.1:0 with real HTTP calls: each request's status class
/// and duration land on the variant the named flags served for that request's context, with no per-endpoint code
/// beyond naming the flags.
/// </summary>
public sealed class RequestOutcomeMiddlewareTests
{
    [Test]
    public async Task NamedEndpoint_5xxAndSuccess_RecordedAgainstTheVariantServedToEachRequest()
    {
        await using var app = await StartAsync(_ => { });
        using var http = new HttpClient { BaseAddress = app.Url };

        for (var i = 0; i < 4; i++)
        {
            Assert.That((await Post(http, "/checkout", "treated", fail: i == 0)).StatusCode, Is.EqualTo(i == 0 ? HttpStatusCode.InternalServerError : HttpStatusCode.OK));
        }

        for (var i = 0; i < 3; i++)
        {
            await Post(http, "/checkout", "other", fail: false);
        }

        await Post(http, "/plain", "treated", fail: true); // names no flag: not recorded
        var interval = app.Flags.Telemetry.CloseInterval();

        var on = ExposureAndOutcomeTests.Figures(interval, "checkout-v2", "on");
        var off = ExposureAndOutcomeTests.Figures(interval, "checkout-v2", "off");
        Assert.That((on.Requests, on.Failures), Is.EqualTo((4L, 1L)));
        Assert.That((off.Requests, off.Failures), Is.EqualTo((3L, 0L)));
        Assert.That(on.Exposures, Is.EqualTo(4), "the endpoint's own evaluation is the exposure");
        Assert.That(on.Latency.Count, Is.EqualTo(4));
        Assert.That(on.Latency.Percentile(1.0), Is.GreaterThan(0.05), "durations are measured");
    }

    [Test]
    public async Task UnhandledException_CountsAsAFailure()
    {
        await using var app = await StartAsync(_ => { });
        using var http = new HttpClient { BaseAddress = app.Url };

        var response = await Post(http, "/throws", "treated", fail: false);
        var on = ExposureAndOutcomeTests.Figures(app.Flags.Telemetry.CloseInterval(), "checkout-v2", "on");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That((on.Requests, on.Failures), Is.EqualTo((1L, 1L)));
    }

    [Test]
    public async Task GlobalFlags_EveryRequest_RecordedOnceEvenWhenTheEndpointNamesItToo()
    {
        await using var app = await StartAsync(o => o.Flags.Add("checkout-v2"));
        using var http = new HttpClient { BaseAddress = app.Url };

        await Post(http, "/plain", "treated", fail: true);
        await Post(http, "/checkout", "treated", fail: false);
        var on = ExposureAndOutcomeTests.Figures(app.Flags.Telemetry.CloseInterval(), "checkout-v2", "on");

        Assert.That((on.Requests, on.Failures), Is.EqualTo((2L, 1L)));
    }

    [Test]
    public void WithFlagOutcomes_NoFlag_RefusedWithAClearMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => _ = new RequestOutcomeMetadata());
        Assert.That(e!.Message, Does.Contain("WithFlagOutcomes needs at least one flag key"));
    }

    private static Task<HttpResponseMessage> Post(HttpClient http, string path, string account, bool fail)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path + (fail ? "?fail=1" : ""));
        request.Headers.Add("x-account", account);
        return http.SendAsync(request);
    }

    private static async Task<RunningApp> StartAsync(Action<RequestOutcomeOptions> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<FlagSource>(new InMemoryFlagSource(TestDocuments.File(ExposureAndOutcomeTests.Flags)));
        builder.Services.AddFlagKit(_ => { });
        var app = builder.Build();
        app.UseFlagOutcomes(o =>
        {
            o.ContextFactory = static http => EvaluationContext.ForAccount(http.Request.Headers["x-account"].ToString());
            configure(o);
        });

        static EvaluationContext Account(HttpContext http) => EvaluationContext.ForAccount(http.Request.Headers["x-account"].ToString());
        app.MapPost("/checkout", (HttpContext http, FlagClient flags) =>
            {
                var v2 = flags.IsEnabled("checkout-v2", Account(http));
                return http.Request.Query.ContainsKey("fail") ? Results.StatusCode(500) : Results.Ok(v2 ? "v2" : "v1");
            })
            .WithFlagOutcomes("checkout-v2");
        app.MapPost("/throws", string (HttpContext http) => throw new InvalidOperationException("checkout broke")).WithFlagOutcomes("checkout-v2");
        app.MapPost("/plain", (HttpContext http) => http.Request.Query.ContainsKey("fail") ? Results.StatusCode(503) : Results.Ok());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var flags = app.Services.GetRequiredService<FlagClient>();
        await flags.WaitUntilReadyAsync();
        return new RunningApp(app, new Uri(address), flags);
    }

    private sealed record RunningApp(WebApplication App, Uri Url, FlagClient Flags) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
