using System.Text.Json.Serialization;

namespace FlagKit.Server.Releases;

/// <summary>Source-generated JSON metadata for release webhook payloads (camelCase: <c>releaseId</c>, <c>percent</c>, …).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ReleaseWebhookPayload))]
internal sealed partial class ReleaseWebhookJsonContext : JsonSerializerContext;
