using System.Text.Json;

namespace FlagKit.Cli.Output;

/// <summary>One value that differs between two versions of a document, at a JSON path.</summary>
/// <param name="Path">JSON path, e.g. <c>$.defaultRule.split.variants[0].weight</c>.</param>
/// <param name="Before">The value before, or <c>null</c> when it did not exist.</param>
/// <param name="After">The value after, or <c>null</c> when it no longer exists.</param>
internal sealed record FieldChange(string Path, JsonElement? Before, JsonElement? After);

/// <summary>
/// Structural difference between two JSON documents (a flag or segment before and after a change), as the list of
/// leaf values that differ. Arrays of plain values (tags, target ids, condition values) are compared whole, so a
/// change reads <c>["a","b"] → ["a","b","c"]</c> rather than index by index.
/// </summary>
/// <remarks>The document's <c>version</c> is left out: the server maintains it, a file does not.</remarks>
internal static class DocumentDiff
{
    /// <summary>Lists the differences between <paramref name="before"/> and <paramref name="after"/>.</summary>
    /// <param name="before">UTF-8 JSON before (empty: absent).</param>
    /// <param name="after">UTF-8 JSON after (empty: absent).</param>
    /// <returns>The differing leaves, in document order; empty when both are equal or either is absent.</returns>
    public static List<FieldChange> Compare(ReadOnlyMemory<byte> before, ReadOnlyMemory<byte> after)
    {
        var changes = new List<FieldChange>();
        if (before.IsEmpty || after.IsEmpty)
        {
            return changes;
        }

        using var b = JsonDocument.Parse(before);
        using var a = JsonDocument.Parse(after);
        Walk("$", b.RootElement, a.RootElement, changes);
        return changes;
    }

    /// <summary>Renders a value compactly on one line, as JSON (<c>(none)</c> when absent).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Render(JsonElement? value)
    {
        if (value is not { } v)
        {
            return "(none)";
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            v.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Walk(string path, JsonElement before, JsonElement after, List<FieldChange> changes)
    {
        if (before.ValueKind == JsonValueKind.Object && after.ValueKind == JsonValueKind.Object)
        {
            var names = new List<string>();
            foreach (var p in before.EnumerateObject())
            {
                names.Add(p.Name);
            }

            foreach (var p in after.EnumerateObject())
            {
                if (!names.Contains(p.Name))
                {
                    names.Add(p.Name);
                }
            }

            foreach (var name in names)
            {
                if (path == "$" && name == "version")
                {
                    continue;
                }

                var child = path + "." + name;
                var hasBefore = before.TryGetProperty(name, out var bv) && bv.ValueKind != JsonValueKind.Null;
                var hasAfter = after.TryGetProperty(name, out var av) && av.ValueKind != JsonValueKind.Null;
                if (hasBefore && hasAfter)
                {
                    Walk(child, bv, av, changes);
                }
                else if (hasBefore != hasAfter)
                {
                    changes.Add(new FieldChange(child, hasBefore ? bv.Clone() : null, hasAfter ? av.Clone() : null));
                }
            }

            return;
        }

        if (before.ValueKind == JsonValueKind.Array && after.ValueKind == JsonValueKind.Array
            && !(IsPlainArray(before) && IsPlainArray(after)))
        {
            var bl = before.GetArrayLength();
            var al = after.GetArrayLength();
            for (var i = 0; i < Math.Max(bl, al); i++)
            {
                var child = $"{path}[{i}]";
                if (i < bl && i < al)
                {
                    Walk(child, before[i], after[i], changes);
                }
                else
                {
                    changes.Add(new FieldChange(child, i < bl ? before[i].Clone() : null, i < al ? after[i].Clone() : null));
                }
            }

            return;
        }

        if (!JsonElement.DeepEquals(before, after))
        {
            changes.Add(new FieldChange(path, before.Clone(), after.Clone()));
        }
    }

    private static bool IsPlainArray(JsonElement array)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                return false;
            }
        }

        return true;
    }
}
