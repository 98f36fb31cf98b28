using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Tests.Metrics;
using FlagKit.Server.Tests.Sync;
using FlagKit.Server.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Webhooks;

/// <summary>
/// The webhook dispatcher against a real HTTP listener on loopback (Kestrel), with a fake clock for its timeouts and
/// retry delays: signatures verify, failures are retried with backoff under the same event id, 4xx is not retried,
/// Retry-After is honoured, a receiver that never answers times out, and an unreachable one costs a bounded queue.
/// </summary>
public sealed class WebhookDeliveryTests
{
    private const string Secret = "whsec_test_0123456789abcdef";
    private static readonly JsonElement Payload = JsonDocument.Parse("""{"flag":"checkout-v2","step":2,"percent":5}""").RootElement;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.Zero));
    private ServiceProvider _services = null!;
    private ServerMetrics _metrics = null!;
    private MetricsRecorder _recorder = null!;
    private WebhookListener _listener = null!;
    private WebhookDispatcher? _dispatcher;

    [SetUp]
    public async Task SetUp()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _metrics = new ServerMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), _time);
        _recorder = new MetricsRecorder(_metrics.Meter);
        _listener = await WebhookListener.StartAsync();
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_dispatcher is not null)
        {
            await _dispatcher.StopAsync(CancellationToken.None);
            _dispatcher.Dispose();
            _dispatcher = null;
        }

        await _listener.DisposeAsync();
        _recorder.Dispose();
        await _services.DisposeAsync();
    }

    [Test]
    public async Task Deliver_SignedEvent_ReceiverVerifiesSignatureAndReadsTheBody()
    {
        var dispatcher = await StartAsync(Options(_listener.Url("/hooks/flagkit")));

        var id = dispatcher.Enqueue(WebhookEventTypes.ReleaseStep, "production", Payload);

        await SyncWait.UntilAsync(() => Delivered() == 1, "the event is delivered");
        var request = _listener.Requests.Single();
        Assert.That(request.Path, Is.EqualTo("/hooks/flagkit"));
        Assert.That(request.Header("Content-Type"), Is.EqualTo("application/json; charset=utf-8"));
        Assert.That(request.Header(WebhookSignature.EventIdHeader), Is.EqualTo(id).And.Match("^evt_[0-9a-f]{32}$"));
        Assert.That(request.Header(WebhookSignature.EventTypeHeader), Is.EqualTo("release.step"));
        Assert.That(request.Header(WebhookSignature.AttemptHeader), Is.EqualTo("1"));
        Assert.That(request.Header(WebhookSignature.TimestampHeader), Is.EqualTo(_time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(WebhookSignature.Verify(Secret, request.Header(WebhookSignature.TimestampHeader), request.Body, request.Header(WebhookSignature.Header)), Is.True);
        Assert.That(WebhookSignature.Verify("another-secret-0123456789", request.Header(WebhookSignature.TimestampHeader), request.Body, request.Header(WebhookSignature.Header)), Is.False);
        var tampered = request.Body.ToArray();
        tampered[^3] ^= 1;
        Assert.That(WebhookSignature.Verify(Secret, request.Header(WebhookSignature.TimestampHeader), tampered, request.Header(WebhookSignature.Header)), Is.False);

        // The signature is HMAC-SHA256(secret, "<timestamp>.<body>"), as a receiver computes it without our helper.
        var expected = "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(Secret), (byte[])[.. System.Text.Encoding.UTF8.GetBytes(request.Header(WebhookSignature.TimestampHeader) + "."), .. request.Body]));
        Assert.That(request.Header(WebhookSignature.Header), Is.EqualTo(expected));

        using var body = JsonDocument.Parse(request.Body);
        Assert.That(body.RootElement.GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(body.RootElement.GetProperty("type").GetString(), Is.EqualTo("release.step"));
        Assert.That(body.RootElement.GetProperty("time").GetDateTimeOffset(), Is.EqualTo(_time.GetUtcNow()));
        Assert.That(body.RootElement.GetProperty("environment").GetString(), Is.EqualTo("production"));
        Assert.That(body.RootElement.GetProperty("payload").GetProperty("flag").GetString(), Is.EqualTo("checkout-v2"));
        Assert.That(body.RootElement.GetProperty("payload").GetProperty("percent").GetInt32(), Is.EqualTo(5));
    }

    [Test]
    public async Task Deliver_ReceiverFailsTwiceThenSucceeds_SameEventThreeTimesAfterGrowingDelays()
    {
        _listener.Respond = (n, context) => Status(context, n switch { 1 => 500, 2 => 503, _ => 204 });
        var dispatcher = await StartAsync(Options(_listener.Url("/hook")));
        var endpoint = dispatcher.Endpoints.Single();

        var id = dispatcher.Enqueue(WebhookEventTypes.ReleaseRolledBack, "production", Payload);

        var first = await NextRetryAsync(endpoint, afterRequests: 1);
        Assert.That(first, Is.InRange(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1)), "first retry: 1 s, jittered into its upper half");
        _time.Advance(first);
        var second = await NextRetryAsync(endpoint, afterRequests: 2);
        Assert.That(second, Is.InRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)), "second retry: 2 s, jittered");
        _time.Advance(second);
        await SyncWait.UntilAsync(() => Delivered() == 1, "the third attempt is delivered");

        var requests = _listener.Requests;
        Assert.That(requests, Has.Count.EqualTo(3));
        Assert.That(requests.Select(r => r.Header(WebhookSignature.EventIdHeader)), Is.All.EqualTo(id), "receivers de-duplicate by the event id");
        Assert.That(requests.Select(r => r.Header(WebhookSignature.AttemptHeader)), Is.EqualTo(new[] { "1", "2", "3" }));
        Assert.That(requests.Select(r => r.Body), Is.All.EqualTo(requests[0].Body), "the same body every time");
        Assert.That(requests.All(r => WebhookSignature.Verify(Secret, r.Header(WebhookSignature.TimestampHeader), r.Body, r.Header(WebhookSignature.Header))), Is.True);
        Assert.That(_recorder.Sum("flagkit.server.webhook.attempts"), Is.EqualTo(3));
        Assert.That(_recorder.Sum("flagkit.server.webhook.events", (ServerMetrics.WebhookOutcomeTag, "failed")), Is.Zero);
    }

    [TestCase(400)]
    [TestCase(404)]
    [TestCase(410)]
    public async Task Deliver_ClientError_NotRetried(int status)
    {
        _listener.Respond = (_, context) => Status(context, status);
        var dispatcher = await StartAsync(Options(_listener.Url("/hook")));

        dispatcher.Enqueue(WebhookEventTypes.ReleasePaused, "production", Payload);

        await SyncWait.UntilAsync(() => _recorder.Sum("flagkit.server.webhook.events", (ServerMetrics.WebhookOutcomeTag, "failed")) == 1, "the event is given up");
        _time.Advance(TimeSpan.FromHours(1));
        Assert.That(_listener.Requests, Has.Count.EqualTo(1));
        Assert.That(dispatcher.Endpoints.Single().NextAttemptAt, Is.Null);
    }

    [Test]
    public async Task Deliver_TooManyRequestsWithRetryAfter_NextAttemptWaitsThatLong()
    {
        _listener.Respond = (n, context) =>
        {
            if (n == 1)
            {
                context.Response.Headers.RetryAfter = "7";
                return Status(context, 429);
            }

            return Status(context, 200);
        };
        var dispatcher = await StartAsync(Options(_listener.Url("/hook")));
        var endpoint = dispatcher.Endpoints.Single();

        dispatcher.Enqueue(WebhookEventTypes.ReleaseStep, "production", Payload);

        Assert.That(await NextRetryAsync(endpoint, afterRequests: 1), Is.EqualTo(TimeSpan.FromSeconds(7)));
        _time.Advance(TimeSpan.FromSeconds(6.9));
        Assert.That(_listener.Requests, Has.Count.EqualTo(1), "not before Retry-After");
        _time.Advance(TimeSpan.FromSeconds(0.1));
        await SyncWait.UntilAsync(() => Delivered() == 1, "delivered after Retry-After");
    }

    [Test]
    public async Task Deliver_ReceiverNeverAnswers_AttemptTimesOutAndIsRetried()
    {
        _listener.Respond = async (n, context) =>
        {
            if (n == 1)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        };
        var options = Options(_listener.Url("/hook"));
        var dispatcher = await StartAsync(options);
        var endpoint = dispatcher.Endpoints.Single();

        dispatcher.Enqueue(WebhookEventTypes.ReleaseCompleted, "production", Payload);
        await SyncWait.UntilAsync(() => _listener.Requests.Count == 1, "the first attempt arrives");
        _time.Advance(options.Timeout);

        var delay = await NextRetryAsync(endpoint, afterRequests: 1);
        _time.Advance(delay);
        await SyncWait.UntilAsync(() => Delivered() == 1, "the retry is delivered");
        Assert.That(_listener.Requests.Select(r => r.Header(WebhookSignature.AttemptHeader)), Is.EqualTo(new[] { "1", "2" }));
    }

    [Test]
    public async Task Deliver_AttemptsExhausted_GivenUpAndTheNextEventStillDelivered()
    {
        _listener.Respond = (n, context) => Status(context, n <= 2 ? 502 : 200);
        var options = Options(_listener.Url("/hook"));
        options.MaxAttempts = 2;
        var dispatcher = await StartAsync(options);
        var endpoint = dispatcher.Endpoints.Single();

        var doomed = dispatcher.Enqueue(WebhookEventTypes.ReleaseStep, "production", Payload);
        var next = dispatcher.Enqueue(WebhookEventTypes.ReleaseCompleted, "production", Payload);
        _time.Advance(await NextRetryAsync(endpoint, afterRequests: 1));

        await SyncWait.UntilAsync(() => Delivered() == 1, "the next event is delivered");
        Assert.That(_recorder.Sum("flagkit.server.webhook.events", (ServerMetrics.WebhookOutcomeTag, "failed")), Is.EqualTo(1));
        Assert.That(_listener.Requests.Select(r => r.Header(WebhookSignature.EventIdHeader)), Is.EqualTo(new[] { doomed, doomed, next }));
    }

    [Test]
    public async Task Enqueue_UnreachableReceiver_NeverWaitsAndHoldsAtMostTheQueue()
    {
        var options = Options($"http://127.0.0.1:{ClosedPort()}/hook");
        options.QueueCapacity = 100;
        var dispatcher = await StartAsync(options);
        var endpoint = dispatcher.Endpoints.Single();
        dispatcher.Enqueue(WebhookEventTypes.ReleaseStep, "production", Payload);
        await SyncWait.UntilAsync(() => endpoint.NextAttemptAt is not null, "the first event waits for its retry");

        // Every call returns while the receiver is down and the clock stands still (a waiting Enqueue would hang here).
        await Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                dispatcher.Enqueue(WebhookEventTypes.ReleaseStep, "production", Payload);
            }
        }).WaitAsync(SyncWait.Deadline);

        Assert.That(endpoint.Queued, Is.EqualTo(100));
        Assert.That(_recorder.Sum("flagkit.server.webhook.events", (ServerMetrics.WebhookOutcomeTag, "dropped"), (ServerMetrics.WebhookTag, "webhook-0")), Is.EqualTo(9_900));
        Assert.That(_recorder.Sum("flagkit.server.webhook.attempts"), Is.EqualTo(1), "connection refused: one attempt so far, the retry waits");
    }

    [Test]
    public async Task Enqueue_EndpointsWithFilters_EachGetsOnlyTheTypesItWants()
    {
        var options = Options(_listener.Url("/all"));
        options.Endpoints.Add(new WebhookEndpointOptions { Name = "pager", Url = _listener.Url("/pager"), Secret = Secret, Events = [WebhookEventTypes.ReleaseRolledBack] });
        var dispatcher = await StartAsync(options);

        foreach (var type in WebhookEventTypes.All)
        {
            dispatcher.Enqueue(type, "production", Payload);
        }

        await SyncWait.UntilAsync(() => Delivered() == 5, "four events to one endpoint and one to the other");
        Assert.That(_listener.Requests.Where(r => r.Path == "/all").Select(r => r.Header(WebhookSignature.EventTypeHeader)), Is.EqualTo(WebhookEventTypes.All), "in order");
        Assert.That(_listener.Requests.Where(r => r.Path == "/pager").Select(r => r.Header(WebhookSignature.EventTypeHeader)), Is.EqualTo(new[] { "release.rolled_back" }));
        Assert.That(_recorder.Sum("flagkit.server.webhook.events", (ServerMetrics.WebhookTag, "pager"), (ServerMetrics.WebhookOutcomeTag, "delivered")), Is.EqualTo(1));
    }

    [Test]
    public async Task Enqueue_UnknownType_Refused()
    {
        var dispatcher = await StartAsync(Options(_listener.Url("/hook")));

        var error = Assert.Throws<ArgumentException>(() => dispatcher.Enqueue("release.exploded", "production", Payload));

        Assert.That(error!.Message, Does.Contain("release.exploded").And.Contain("release.rolled_back"));
    }

    private static WebhookOptions Options(string url) => new()
    {
        Endpoints = [new WebhookEndpointOptions { Url = url, Secret = Secret }],
        FirstRetryDelay = TimeSpan.FromSeconds(1),
        MaxRetryDelay = TimeSpan.FromMinutes(5),
        Timeout = TimeSpan.FromSeconds(10),
    };

    private async Task<WebhookDispatcher> StartAsync(WebhookOptions options)
    {
        options.Validate("test");
        _dispatcher = new WebhookDispatcher(options, _time, _metrics, NullLogger.Instance, handler: null, random: new Random(14));
        await _dispatcher.StartAsync(CancellationToken.None);
        return _dispatcher;
    }

    private double Delivered() => _recorder.Sum("flagkit.server.webhook.events", (ServerMetrics.WebhookOutcomeTag, "delivered"));

    /// <summary>Waits until the receiver has had <paramref name="afterRequests"/> requests and the endpoint waits to retry; answers how long.</summary>
    private async Task<TimeSpan> NextRetryAsync(WebhookEndpoint endpoint, int afterRequests)
    {
        await SyncWait.UntilAsync(() => _listener.Requests.Count == afterRequests && endpoint.NextAttemptAt is not null, $"a retry is scheduled after request {afterRequests}");
        return endpoint.NextAttemptAt!.Value - _time.GetUtcNow();
    }

    private static Task Status(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
