using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FlagKit.Server.Tests.Webhooks;

/// <summary>
/// A real HTTP receiver for webhook tests: Kestrel on <c>127.0.0.1:&lt;free port&gt;</c>, keeping every POST (path,
/// headers, body bytes) and answering as <see cref="Respond"/> says for the n-th request (1-based; 200 by default).
/// </summary>
internal sealed class WebhookListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();
    private int _count;

    private WebhookListener(WebApplication app) => _app = app;

    /// <summary>The base address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>How the n-th request is answered.</summary>
    public Func<int, HttpContext, Task> Respond { get; set; } = static (_, _) => Task.CompletedTask;

    /// <summary>Requests received so far, in order.</summary>
    public IReadOnlyList<Received> Requests => [.. _received];

    public static async Task<WebhookListener> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var listener = new WebhookListener(app);
        app.MapPost("/{**path}", listener.HandleAsync);
        await app.StartAsync();
        listener.Address = new Uri(app.Urls.First());
        return listener;
    }

    /// <summary>A URL on this listener.</summary>
    public string Url(string path) => new Uri(Address, path).ToString();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _received.Enqueue(new Received(context.Request.Path.Value ?? "", headers, body.ToArray()));
        await Respond(Interlocked.Increment(ref _count), context);
    }

    internal sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : "";
    }
}
