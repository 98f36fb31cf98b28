using System.Collections.Concurrent;
using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Versioning;

namespace FlagKit.Evaluation;

/// <summary>A variant with its value precomputed in every form a getter may ask for.</summary>
/// <remarks>Immutable: boolean variants (<c>on: true</c>, <c>off: false</c>...) are shared by every flag that has them.</remarks>
internal sealed class CompiledVariant
{
    // Boolean variants are the same few name/value pairs across thousands of flags; one object serves them all.
    // Bounded, so that arbitrary names cannot grow it without limit (past the bound each flag gets its own).
    private const int MaxShared = 256;
    private static readonly JsonElement TrueJson = JsonDocument.Parse("true").RootElement;
    private static readonly JsonElement FalseJson = JsonDocument.Parse("false").RootElement;
    private static readonly ConcurrentDictionary<(string Name, bool Value), CompiledVariant> SharedBooleans = new();

    public CompiledVariant(string name, JsonElement json)
    {
        Name = name;
        Json = json;
        switch (json.ValueKind)
        {
            case JsonValueKind.True:
                Bool = true;
                break;
            case JsonValueKind.String:
                String = json.GetString();
                break;
            case JsonValueKind.Number:
                Number = json.GetDouble();
                break;
        }
    }

    public string Name { get; }

    /// <summary>Whether this instance is the one shared by every flag with this boolean name and value.</summary>
    public bool IsShared { get; private init; }

    public bool Bool { get; }

    public string? String { get; }

    public double Number { get; }

    /// <summary>The value as JSON, parsed once (a clone that owns its memory).</summary>
    public JsonElement Json { get; }

    /// <summary>The compiled variant of a validated value: a shared one for a boolean, else a new one.</summary>
    public static CompiledVariant Of(string name, JsonElement value)
    {
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return new CompiledVariant(name, value.Clone());
        }

        var key = (name, value.ValueKind == JsonValueKind.True);
        if (SharedBooleans.TryGetValue(key, out var shared))
        {
            return shared;
        }

        if (SharedBooleans.Count >= MaxShared)
        {
            return new CompiledVariant(name, key.Item2 ? TrueJson : FalseJson);
        }

        return SharedBooleans.GetOrAdd(key, static key => new CompiledVariant(key.Name, key.Value ? TrueJson : FalseJson) { IsShared = true });
    }
}
