using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.Json;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlagKit.Reliability.Tests.Modes;

/// <summary>
/// Read-only mode end to end: the real <c>flagkit</c> process switches it on with an end time on a real server process;
/// a sample ASP.NET Core service (the SDK from <c>AddFlagKit</c> and <c>UseReadOnlyMode</c>, on Kestrel) refuses its
/// mutating endpoint with 503 and Retry-After while its read endpoint answers 200, and takes writes again at the end.
/// </summary>
public sealed class ReadOnlyModeEndToEndTests
{
    [Test]
    public async Task ReadOnlyOnUntil_ViaTheCli_ReachesTheServiceAndEndsOnTime()
    {
        await using var server = await ServerProcess.StartAsync();
        await using var service = await StartServiceAsync(server.Address);
        using var http = new HttpClient { BaseAddress = service.Address };
        Assert.That((await PostAsync(http)).StatusCode, Is.EqualTo(HttpStatusCode.Created), "normal before the switch");

        var (exit, stdout, stderr) = await RunCliAsync(server.Address, "readonly", "on", "--until", "8s", "--yes", "-m", "e2e maintenance", "--json");
        Assert.That(exit, Is.Zero, stdout + stderr);
        var until = JsonDocument.Parse(stdout).RootElement.GetProperty("modes").GetProperty("switches")[0].GetProperty("until").GetDateTimeOffset();

        HttpResponseMessage? refused = null;
        await Wait.UntilAsync(() => (refused = PostAsync(http).GetAwaiter().GetResult()).StatusCode == HttpStatusCode.ServiceUnavailable, "the service to refuse writes");
        using var read = await http.GetAsync("/orders");
        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), "reads go on");
        var retryAfter = refused!.Headers.RetryAfter?.Delta;
        Assert.That(retryAfter, Is.Not.Null.And.InRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(9)));

        await Wait.UntilAsync(() => PostAsync(http).GetAwaiter().GetResult().StatusCode == HttpStatusCode.Created, "writes to come back at the switch's end");
        var backAt = DateTimeOffset.UtcNow;
        Assert.That(backAt, Is.GreaterThanOrEqualTo(until), "not before the end");
        Assert.That(backAt - until, Is.LessThan(TimeSpan.FromSeconds(5)), "soon after the end, by the service's own clock");
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http) => await http.PostAsync("/orders", new StringContent("{}"));

    private static async Task<SampleService> StartServiceAsync(Uri flagServer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddFlagKit(o =>
        {
            o.ServerUrl = flagServer.ToString();
            o.ApiKey = TestFlagServer.SdkKey;
            o.Environment = TestFlagServer.Environment;
            o.AppName = "orders-service";
        });
        var app = builder.Build();
        app.UseRouting();
        app.UseReadOnlyMode();
        app.MapGet("/orders", () => "[]");
        app.MapPost("/orders", () => Results.Created("/orders/1", "{}"));
        await app.StartAsync();
        await app.Services.GetRequiredService<FlagClient>().WaitUntilReadyAsync().WaitAsync(Wait.Deadline);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new SampleService(app, new Uri(address));
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunCliAsync(Uri server, params string[] args)
    {
        string cli = typeof(ReadOnlyModeEndToEndTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FlagKitCliPath").Value!;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(cli)!,
        };
        foreach (var arg in new[] { cli, "--url", server.ToString(), "--env", TestFlagServer.Environment }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["FLAGKIT_KEY"] = TestFlagServer.AdminKey;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, await stderr);
    }

    private sealed class SampleService(WebApplication app, Uri address) : IAsyncDisposable
    {
        public Uri Address => address;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
