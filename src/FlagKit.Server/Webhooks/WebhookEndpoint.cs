using System.Net.Http.Headers;
using System.Threading.Channels;
using FlagKit.Server.Diagnostics;

namespace FlagKit.Server.Webhooks;

/// <summary>
/// One receiver: its bounded queue and the loop that delivers from it, one event at a time and in order, each with up
/// to <see cref="WebhookOptions.MaxAttempts"/> attempts.
/// </summary>
/// <remarks>
/// <para>Memory is bounded: at most <see cref="WebhookOptions.QueueCapacity"/> events wait, plus the one being
/// delivered; an event offered to a full queue is dropped, logged and counted (<c>dropped</c>). An unreachable receiver
/// therefore costs its queue, never the caller's time: <see cref="TryEnqueue"/> never waits.</para>
/// <para>Thread safety: <see cref="TryEnqueue"/> may be called from any thread; <see cref="RunAsync"/> runs once.</para>
/// </remarks>
internal sealed class WebhookEndpoint
{
    private readonly WebhookEndpointOptions _endpoint;
    private readonly WebhookOptions _options;
    private readonly HttpClient _http;
    private readonly WebhookBackoff _backoff;
    private readonly TimeProvider _time;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<WebhookEvent> _queue;
    private readonly Uri _url;
    private long _nextAttemptTicks;

    /// <summary>Creates the endpoint (its loop starts with <see cref="RunAsync"/>).</summary>
    /// <param name="name">Its name (logs, metrics).</param>
    /// <param name="endpoint">URL, secret, filter.</param>
    /// <param name="options">Queue, attempts, timeout, delays.</param>
    /// <param name="http">The client requests go through.</param>
    /// <param name="backoff">The retry delays.</param>
    /// <param name="time">The clock (timeouts, delays, timestamps).</param>
    /// <param name="metrics">Where outcomes are counted.</param>
    /// <param name="logger">Logger (never given the URL or the secret).</param>
    public WebhookEndpoint(
        string name, WebhookEndpointOptions endpoint, WebhookOptions options, HttpClient http, WebhookBackoff backoff, TimeProvider time, ServerMetrics metrics, ILogger logger)
    {
        Name = name;
        _endpoint = endpoint;
        _options = options;
        _http = http;
        _backoff = backoff;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _url = new Uri(endpoint.Url, UriKind.Absolute);
        _queue = Channel.CreateBounded<WebhookEvent>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The endpoint's name.</summary>
    public string Name { get; }

    /// <summary>Events waiting now (not counting the one being delivered).</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Whether the queue is full now (a new event would be dropped).</summary>
    public bool IsFull => _queue.Reader.Count >= _options.QueueCapacity;

    /// <summary>When the event being delivered will be tried again (null when none waits for a retry).</summary>
    public DateTimeOffset? NextAttemptAt => Interlocked.Read(ref _nextAttemptTicks) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Whether the endpoint wants an event type.</summary>
    /// <param name="type">The type.</param>
    /// <returns>True when its filter takes it.</returns>
    public bool Wants(string type) => _endpoint.Wants(type);

    /// <summary>Queues an event without waiting; a full queue drops it (logged, counted).</summary>
    /// <param name="webhookEvent">The event.</param>
    /// <returns>False when it was dropped.</returns>
    public bool TryEnqueue(WebhookEvent webhookEvent)
    {
        if (_queue.Writer.TryWrite(webhookEvent))
        {
            return true;
        }

        Drop(webhookEvent.Id, webhookEvent.Type);
        return false;
    }

    /// <summary>Counts and logs an event this endpoint had no room for.</summary>
    /// <param name="id">The event's id.</param>
    /// <param name="type">Its type.</param>
    public void Drop(string id, string type)
    {
        _metrics.WebhookEvent(Name, "dropped");
        ServerLog.WebhookDropped(_logger, Name, id, type, _options.QueueCapacity);
    }

    /// <summary>Delivers queued events until <paramref name="stop"/> (events still queued then are not delivered).</summary>
    /// <param name="stop">The host's stopping token.</param>
    /// <returns>Completes when stopped.</returns>
    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var webhookEvent in _queue.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                await DeliverAsync(webhookEvent, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: what is queued is not delivered (webhooks live in memory; see docs/server.md).
        }
    }

    private async Task DeliverAsync(WebhookEvent webhookEvent, CancellationToken stop)
    {
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await AttemptAsync(webhookEvent, attempt, stop).ConfigureAwait(false);
            if (outcome.Delivered)
            {
                _metrics.WebhookEvent(Name, "delivered");
                ServerLog.WebhookDelivered(_logger, Name, webhookEvent.Id, webhookEvent.Type, attempt, outcome.Status);
                return;
            }

            if (!outcome.Retry || attempt >= _options.MaxAttempts)
            {
                _metrics.WebhookEvent(Name, "failed");
                ServerLog.WebhookFailed(_logger, Name, webhookEvent.Id, webhookEvent.Type, attempt, outcome.Retry ? outcome.Problem : outcome.Problem + ", not retried");
                return;
            }

            var delay = _backoff.Delay(attempt, outcome.RetryAfter);
            ServerLog.WebhookRetrying(_logger, Name, webhookEvent.Id, webhookEvent.Type, attempt, outcome.Problem, delay);
            var wait = Task.Delay(delay, _time, stop);
            Interlocked.Exchange(ref _nextAttemptTicks, (_time.GetUtcNow() + delay).UtcTicks);
            try
            {
                await wait.ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Exchange(ref _nextAttemptTicks, 0);
            }
        }
    }

    private async Task<WebhookAttempt> AttemptAsync(WebhookEvent webhookEvent, int attempt, CancellationToken stop)
    {
        var now = _time.GetUtcNow();
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(webhookEvent.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(WebhookSignature.EventIdHeader, webhookEvent.Id);
        request.Headers.Add(WebhookSignature.EventTypeHeader, webhookEvent.Type);
        request.Headers.Add(WebhookSignature.AttemptHeader, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(_endpoint.Secret, timestamp, webhookEvent.Body));
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stop);
        _metrics.WebhookAttempt(Name);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            return WebhookAttempt.FromResponse(response, _time.GetUtcNow());
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            return WebhookAttempt.NoAnswer($"no answer within {_options.Timeout.TotalSeconds:0.###}s");
        }
        catch (HttpRequestException e)
        {
            // The message names the host and port, never the path or query (where a token may be).
            return WebhookAttempt.NoAnswer(e.HttpRequestError == HttpRequestError.Unknown ? e.GetType().Name : e.HttpRequestError.ToString());
        }
    }
}
