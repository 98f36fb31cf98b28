using System.Security.Cryptography;
using System.Text.Json;

namespace FlagKit.Server.Webhooks;

/// <summary>
/// One event, its JSON body serialized once (every attempt, to every endpoint, sends the same bytes):
/// <c>{"id":"evt_…","type":"release.step","time":"2026-12-01T17:00:00.123+00:00","environment":"production","payload":{…}}</c>.
/// </summary>
/// <param name="Id">Unique per event: <c>evt_</c> and 32 hex digits; the same on every attempt.</param>
/// <param name="Type">The event type (<see cref="WebhookEventTypes"/>).</param>
/// <param name="Body">The UTF-8 JSON body.</param>
internal sealed record WebhookEvent(string Id, string Type, byte[] Body)
{
    /// <summary>A new event id: <c>evt_</c> and 32 random hex digits.</summary>
    /// <returns>The id.</returns>
    public static string NewId() => "evt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Builds an event and its body.</summary>
    /// <param name="id">Its id (<see cref="NewId"/>).</param>
    /// <param name="type">The event type.</param>
    /// <param name="environment">The environment it concerns.</param>
    /// <param name="time">When it happened (the server's clock).</param>
    /// <param name="payload">The type's own fields.</param>
    /// <returns>The event.</returns>
    public static WebhookEvent Create(string id, string type, string environment, DateTimeOffset time, JsonElement payload)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("type", type);
            json.WriteString("time", time.ToUniversalTime());
            json.WriteString("environment", environment);
            json.WritePropertyName("payload");
            payload.WriteTo(json);
            json.WriteEndObject();
        }

        return new WebhookEvent(id, type, buffer.ToArray());
    }
}
