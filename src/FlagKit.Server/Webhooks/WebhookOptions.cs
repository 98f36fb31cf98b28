namespace FlagKit.Server.Webhooks;

/// <summary>
/// Webhooks (<c>FlagKit:Server:Webhooks</c>): the endpoints, and how events are delivered to each: a bounded queue per
/// endpoint (full: the event is dropped and counted, the caller never waits), attempts with a timeout, retries with
/// exponential backoff and jitter.
/// </summary>
internal sealed class WebhookOptions
{
    /// <summary>The receivers. None by default.</summary>
    public List<WebhookEndpointOptions> Endpoints { get; set; } = [];

    /// <summary>Events that may wait per endpoint; past it new events for that endpoint are dropped (and counted).</summary>
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>Attempts per event, the first included; then the event is given up (logged, counted).</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>How long one attempt may take (connect, send, response headers).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The delay before the first retry; each later one doubles, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between attempts (a receiver's <c>Retry-After</c> is capped to it too).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Checks the settings and throws a message naming the bad one.</summary>
    /// <param name="section">The configuration section, for messages (<c>FlagKit:Server:Webhooks</c>).</param>
    /// <exception cref="InvalidOperationException">A setting is out of range.</exception>
    public void Validate(string section)
    {
        Require(QueueCapacity is >= 1 and <= 1_000_000, $"{section}:{nameof(QueueCapacity)}", "must be 1..1000000");
        Require(MaxAttempts is >= 1 and <= 100, $"{section}:{nameof(MaxAttempts)}", "must be 1..100");
        Require(Timeout > TimeSpan.Zero, $"{section}:{nameof(Timeout)}", "must be positive");
        Require(FirstRetryDelay > TimeSpan.Zero, $"{section}:{nameof(FirstRetryDelay)}", "must be positive");
        Require(MaxRetryDelay >= FirstRetryDelay, $"{section}:{nameof(MaxRetryDelay)}", $"must be at least {nameof(FirstRetryDelay)}");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Endpoints.Count; i++)
        {
            var endpoint = Endpoints[i];
            var at = $"{section}:{nameof(Endpoints)}:{i}";
            Require(Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp),
                $"{at}:{nameof(WebhookEndpointOptions.Url)}", "must be an absolute http:// or https:// URL");
            Require(endpoint.Secret.Length >= WebhookEndpointOptions.MinSecretChars, $"{at}:{nameof(WebhookEndpointOptions.Secret)}",
                $"must be at least {WebhookEndpointOptions.MinSecretChars} characters");
            Require(names.Add(NameOf(i)), $"{at}:{nameof(WebhookEndpointOptions.Name)}", $"'{NameOf(i)}' names another endpoint too");
            Require(NameOf(i).Length <= 64 && NameOf(i).All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'),
                $"{at}:{nameof(WebhookEndpointOptions.Name)}", "must be 1-64 letters, digits, '-', '_' or '.'");
            for (var e = 0; e < endpoint.Events.Count; e++)
            {
                Require(WebhookEventTypes.IsKnown(endpoint.Events[e]), $"{at}:{nameof(WebhookEndpointOptions.Events)}:{e}",
                    $"'{endpoint.Events[e]}' is not an event type; use {string.Join(", ", WebhookEventTypes.All)}");
            }
        }
    }

    /// <summary>The name of endpoint <paramref name="index"/>: its <see cref="WebhookEndpointOptions.Name"/>, else <c>webhook-&lt;index&gt;</c>.</summary>
    /// <param name="index">The endpoint's index.</param>
    /// <returns>The name.</returns>
    public string NameOf(int index) => Endpoints[index].Name is { Length: > 0 } name ? name : $"webhook-{index}";

    private static void Require(bool ok, string setting, string problem)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"Configuration {setting}: {problem}");
        }
    }
}
