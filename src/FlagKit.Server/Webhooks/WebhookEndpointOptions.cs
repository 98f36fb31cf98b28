namespace FlagKit.Server.Webhooks;

/// <summary>
/// One webhook receiver, bound from <c>FlagKit:Server:Webhooks:Endpoints:&lt;n&gt;</c>: where events are posted, the
/// secret they are signed with, and which events it wants.
/// </summary>
internal sealed class WebhookEndpointOptions
{
    /// <summary>Shortest secret accepted (characters).</summary>
    public const int MinSecretChars = 16;

    /// <summary>
    /// A name for logs and metrics (the URL may carry a token and is never logged). Unset: <c>webhook-&lt;n&gt;</c>.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>Absolute <c>https://</c> (or <c>http://</c>) URL events are POSTed to.</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// The HMAC-SHA256 key of the <c>X-FlagKit-Signature</c> header, at least <see cref="MinSecretChars"/> characters.
    /// Keep it out of files: <c>FlagKit__Server__Webhooks__Endpoints__0__Secret</c>.
    /// </summary>
    public string Secret { get; set; } = "";

    /// <summary>The event types it receives (see <see cref="WebhookEventTypes"/>); empty: every type.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>Whether this endpoint wants an event type.</summary>
    /// <param name="type">The event type.</param>
    /// <returns>True when its filter is empty or names the type.</returns>
    public bool Wants(string type) => Events.Count == 0 || Events.Contains(type, StringComparer.Ordinal);
}
