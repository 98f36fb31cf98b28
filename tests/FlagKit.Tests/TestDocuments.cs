using System.Text;
using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Tests;

/// <summary>Builds flag documents and snapshots from JSON text, as ops write them.</summary>
internal static class TestDocuments
{
    public static FlagFile File(string json) => FlagJson.ParseFile(Encoding.UTF8.GetBytes(json), "test.json");

    public static FlagDocument Flag(string json) => FlagJson.ParseFlag(Encoding.UTF8.GetBytes(json));

    public static SegmentDocument Segment(string json) => FlagJson.ParseSegment(Encoding.UTF8.GetBytes(json));

    public static FlagSnapshot Snapshot(string json, long revision = 1) => SnapshotBuilder.Build(File(json), revision);

    /// <summary>A file of the given flags (JSON objects) and segments.</summary>
    public static string FileJson(string flags, string segments = "") =>
        $$"""{ "schema": 1, "flags": [ {{flags}} ], "segments": [ {{segments}} ] }""";

    /// <summary>A boolean flag that is on and serves <paramref name="defaultVariant"/> by default; <c>extra</c> adds or overrides properties.</summary>
    public static string BoolFlag(string key, string extra = "", string defaultVariant = "on", string offVariant = "off") =>
        $$"""{ "key": "{{key}}", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "{{offVariant}}", "defaultRule": { "variant": "{{defaultVariant}}" }{{(extra.Length == 0 ? "" : ", " + extra)}} }""";

    /// <summary>Errors of a strict build, as their ToString() lines.</summary>
    public static IReadOnlyList<string> BuildErrors(string fileJson)
    {
        try
        {
            SnapshotBuilder.Build(File(fileJson), 1);
            return [];
        }
        catch (FlagValidationException ex)
        {
            return [.. ex.Errors.Select(e => e.ToString())];
        }
    }
}
