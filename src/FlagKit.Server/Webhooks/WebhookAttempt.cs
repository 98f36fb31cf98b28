namespace FlagKit.Server.Webhooks;

/// <summary>What one delivery attempt came to.</summary>
/// <param name="Delivered">The receiver answered 2xx.</param>
/// <param name="Retry">Worth another attempt: 5xx, 408, 429, a timeout or a connection error (never another 4xx).</param>
/// <param name="Problem">What went wrong, for the log (status code or error; never the URL).</param>
/// <param name="Status">The HTTP status, 0 when there was no answer.</param>
/// <param name="RetryAfter">The receiver's <c>Retry-After</c> (429, 503), when it sent one.</param>
internal readonly record struct WebhookAttempt(bool Delivered, bool Retry, string Problem, int Status, TimeSpan? RetryAfter = null)
{
    /// <summary>An answer: 2xx delivered; 5xx, 408 and 429 retried; others (4xx, 3xx) given up.</summary>
    /// <param name="response">The response.</param>
    /// <param name="now">The clock's time (for a <c>Retry-After</c> given as a date).</param>
    /// <returns>The outcome.</returns>
    public static WebhookAttempt FromResponse(HttpResponseMessage response, DateTimeOffset now)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            return new WebhookAttempt(true, false, "", status);
        }

        var retry = status is >= 500 or 408 or 429;
        var retryAfter = status is 429 or 503 ? RetryAfterOf(response, now) : null;
        return new WebhookAttempt(false, retry, $"HTTP {status}", status, retryAfter);
    }

    /// <summary>No answer: a connection error or a timeout (retried).</summary>
    /// <param name="problem">What happened.</param>
    /// <returns>The outcome.</returns>
    public static WebhookAttempt NoAnswer(string problem) => new(false, true, problem, 0);

    private static TimeSpan? RetryAfterOf(HttpResponseMessage response, DateTimeOffset now) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };
}
