using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FlagKit.Server.Configuration;
using FlagKit.Server.Diagnostics;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Webhooks;

/// <summary>
/// Sends events to the configured webhooks (<see cref="WebhookOptions"/>): signed with each endpoint's secret
/// (<see cref="WebhookSignature"/>), queued per endpoint without ever making the caller wait, retried with backoff.
/// The release runner calls <see cref="Enqueue"/> for <see cref="WebhookEventTypes"/>.
/// </summary>
/// <remarks>
/// <para>Delivery is at least once while the server runs: a receiver may get an event twice (an answer lost after it
/// was processed) and must de-duplicate by its id. Events live in memory: those queued when the server stops are not
/// delivered. Each endpoint delivers in order, one event at a time.</para>
/// <para>Thread safety: <see cref="Enqueue"/> may be called from any thread.</para>
/// </remarks>
internal sealed class WebhookDispatcher : BackgroundService
{
    private readonly IReadOnlyList<WebhookEndpoint> _endpoints;
    private readonly TimeProvider _time;
    private readonly HttpClient? _ownedClient;

    /// <summary>Creates the dispatcher from the server's settings.</summary>
    /// <param name="options">Server options (<see cref="FlagServerOptions.Webhooks"/>).</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">Where outcomes are counted.</param>
    /// <param name="logger">Logger.</param>
    public WebhookDispatcher(IOptions<FlagServerOptions> options, TimeProvider time, ServerMetrics metrics, ILogger<WebhookDispatcher> logger)
        : this(options.Value.Webhooks, time, metrics, logger, handler: null, random: null)
    {
    }

    /// <summary>Creates the dispatcher (tests give the handler and a seeded jitter).</summary>
    /// <param name="options">Endpoints and delivery settings (validated).</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">Where outcomes are counted.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="handler">The HTTP handler; null: a socket handler that follows no redirect.</param>
    /// <param name="random">The jitter's source; null: a new one.</param>
    internal WebhookDispatcher(WebhookOptions options, TimeProvider time, ServerMetrics metrics, ILogger logger, HttpMessageHandler? handler, Random? random)
    {
        _time = time;
        _ownedClient = new HttpClient(handler ?? new SocketsHttpHandler
        {
            // A redirect would re-send the signed body somewhere the operator did not configure.
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _ownedClient.DefaultRequestHeaders.UserAgent.ParseAdd("FlagKit-Server-Webhooks/1");
        var backoff = new WebhookBackoff(options.FirstRetryDelay, options.MaxRetryDelay, random ?? new Random());
        _endpoints = options.Endpoints
            .Select((endpoint, i) => new WebhookEndpoint(options.NameOf(i), endpoint, options, _ownedClient, backoff, time, metrics, logger))
            .ToList();
    }

    /// <summary>The endpoints, in configuration order.</summary>
    public IReadOnlyList<WebhookEndpoint> Endpoints => _endpoints;

    /// <summary>Registers the dispatcher and runs its delivery loops with the host.</summary>
    /// <param name="services">The services.</param>
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
    }

    /// <summary>
    /// Queues an event for every endpoint whose filter takes its type. Never waits: an endpoint whose queue is full
    /// drops it (logged, counted).
    /// </summary>
    /// <param name="eventType">One of <see cref="WebhookEventTypes"/>.</param>
    /// <param name="environment">The environment it concerns.</param>
    /// <param name="payload">The type's own fields (a JSON object).</param>
    /// <returns>The event's id (also when no endpoint takes it).</returns>
    /// <exception cref="ArgumentException">An unknown event type.</exception>
    public string Enqueue(string eventType, string environment, JsonElement payload)
    {
        if (!WebhookEventTypes.IsKnown(eventType))
        {
            throw new ArgumentException($"'{eventType}' is not a webhook event type; use {string.Join(", ", WebhookEventTypes.All)}.", nameof(eventType));
        }

        // The queue bound is checked before the body is built: a full endpoint costs the caller no serialization.
        var id = WebhookEvent.NewId();
        var time = _time.GetUtcNow();
        WebhookEvent? webhookEvent = null;
        foreach (var endpoint in _endpoints.Where(e => e.Wants(eventType)))
        {
            if (endpoint.IsFull)
            {
                endpoint.Drop(id, eventType);
                continue;
            }

            webhookEvent ??= WebhookEvent.Create(id, eventType, environment, time, payload);
            endpoint.TryEnqueue(webhookEvent);
        }

        return id;
    }

    /// <summary>Queues an event whose payload is serialized with source-generated metadata.</summary>
    /// <typeparam name="T">The payload's type.</typeparam>
    /// <param name="eventType">One of <see cref="WebhookEventTypes"/>.</param>
    /// <param name="environment">The environment it concerns.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="typeInfo">Its JSON metadata (a <c>JsonSerializerContext</c>'s).</param>
    /// <returns>The event's id.</returns>
    public string Enqueue<T>(string eventType, string environment, T payload, JsonTypeInfo<T> typeInfo) =>
        Enqueue(eventType, environment, JsonSerializer.SerializeToElement(payload, typeInfo));

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_endpoints.Select(e => e.RunAsync(stoppingToken)));

    /// <inheritdoc />
    public override void Dispose()
    {
        _ownedClient?.Dispose();
        base.Dispose();
    }
}
