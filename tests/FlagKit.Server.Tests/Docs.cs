using System.Text;
using FlagKit.Protocol.V1;
using Google.Protobuf;

namespace FlagKit.Server.Tests;

/// <summary>Flag and segment documents and requests for tests.</summary>
internal static class Docs
{
    public static string BoolFlag(string key, bool on = false, bool killed = false, string[]? tags = null, string defaultVariant = "on", string offVariant = "off") =>
        $$"""
        {
          "key": "{{key}}",
          "kind": "bool",
          "on": {{(on ? "true" : "false")}},
          "killed": {{(killed ? "true" : "false")}},
          "tags": [{{string.Join(", ", (tags ?? []).Select(t => $"\"{t}\""))}}],
          "variants": { "on": true, "off": false },
          "offVariant": "{{offVariant}}",
          "defaultRule": { "variant": "{{defaultVariant}}" }
        }
        """;

    public static string SplitFlag(string key, double onPercent) =>
        $$"""
        {
          "key": "{{key}}",
          "kind": "bool",
          "on": true,
          "variants": { "on": true, "off": false },
          "offVariant": "off",
          "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": {{onPercent.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }, { "variant": "off", "weight": {{(100 - onPercent).ToString(System.Globalization.CultureInfo.InvariantCulture)}} } ] } }
        }
        """;

    public static string Segment(string key, params string[] included) =>
        $$"""{ "key": "{{key}}", "included": [{{string.Join(", ", included.Select(i => $"\"{i}\""))}}] }""";

    public static PutDocumentRequest Put(string json, DocumentKind kind = DocumentKind.Flag, long? expectedRevision = null, string idempotencyKey = "", string comment = "")
    {
        var options = new WriteOptions { IdempotencyKey = idempotencyKey, Comment = comment };
        if (expectedRevision is { } r)
        {
            options.ExpectedRevision = r;
        }

        return new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = kind,
            Json = ByteString.CopyFromUtf8(json),
            Options = options,
        };
    }

    public static string Text(ByteString json) => Encoding.UTF8.GetString(json.Span);
}
