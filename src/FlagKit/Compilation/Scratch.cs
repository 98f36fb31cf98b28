using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FlagKit.Evaluation;

namespace FlagKit.Compilation;

/// <summary>
/// The working collections of <see cref="FlagCompiler.CompileFlag"/>, kept per thread and cleared for each flag
/// instead of allocated: a build of 10 000 flags otherwise creates 60 000 short-lived dictionaries and sets.
/// </summary>
/// <remarks>Compiling a flag never compiles another flag, so one set per thread is enough.</remarks>
internal sealed class Scratch
{
    [ThreadStatic]
    private static Scratch? _current;

    public static Scratch Current => _current ??= new Scratch();

    public Dictionary<string, int> VariantIndex { get; } = new(StringComparer.Ordinal);

    public List<CompiledVariant> Variants { get; } = [];

    public List<CompiledPrerequisite> Prerequisites { get; } = [];

    public HashSet<string> SegmentReferences { get; } = new(StringComparer.Ordinal);

    public List<CompiledRule> Rules { get; } = [];

    public HashSet<string> RuleIds { get; } = new(StringComparer.Ordinal);

    public HashSet<string> SplitVariants { get; } = new(StringComparer.Ordinal);

    /// <summary>The operands of the condition being compiled (a condition never compiles another).</summary>
    public List<string> Texts { get; } = [];

    /// <summary>The conditions of the rule being compiled.</summary>
    public List<Condition> Conditions { get; } = [];

    public List<int> SplitBounds { get; } = [];

    public List<int> SplitIndexes { get; } = [];

    // Condition operands repeat across flags ("eu", "us", a segment key): the compiled conditions of a large file
    // share one string per distinct text. Bounded; emptied when full.
    private const int MaxSharedTexts = 4096;
    private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);

    /// <summary>
    /// The text of a JSON string value: an equal string already kept by a compiled condition when there is one (read
    /// without creating a string), else a new string, remembered.
    /// </summary>
    public string Shared(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);

        // The raw value is the quoted literal; without escapes its inside is the text's UTF-8.
        if (raw.Length is > 2 and <= 130 && raw[1..^1].IndexOf((byte)'\\') < 0)
        {
            Span<char> chars = stackalloc char[128];
            if (Encoding.UTF8.TryGetChars(raw[1..^1], chars, out var written)
                && _texts.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars[..written], out var known))
            {
                return known;
            }
        }

        return Shared(value.GetString()!);
    }

    /// <summary>An equal string already kept by a compiled condition, or <paramref name="text"/> itself.</summary>
    public string Shared(string text) =>
        _texts.TryGetValue(text, out var shared) ? shared : Remember(_texts, text, text, MaxSharedTexts);

    // Small arrays that many compiled flags hold with the same content: a split's bounds ([500, 10000] for every 5 %
    // rollout) and variant indexes ([0, 1]), the one segment a flag names, a boolean flag's two shared variants. Shared
    // (never modified once compiled), so a build of 10 000 flags keeps a handful of these instead of 40 000 objects
    // the collector has to trace and promote. Bounded like the texts; emptied when full.
    private const int MaxSharedArrays = 1024;
    private readonly Dictionary<(int Length, int A, int B, int C, int D), int[]> _ints = [];
    private readonly Dictionary<string, string[]> _references = new(StringComparer.Ordinal);
    private readonly Dictionary<(CompiledVariant A, CompiledVariant B), CompiledVariant[]> _variantPairs = [];

    /// <summary>An array equal to <paramref name="values"/> already kept by a compiled flag, or a copy of it.</summary>
    public int[] SharedInts(List<int> values)
    {
        if (values.Count > 4)
        {
            return [.. values];
        }

        var key = (values.Count, At(0), At(1), At(2), At(3));
        if (_ints.TryGetValue(key, out var shared))
        {
            return shared;
        }

        return Remember(_ints, key, [.. values]);

        int At(int i) => i < values.Count ? values[i] : 0;
    }

    /// <summary>The segment keys a flag names, as an array shared by every flag naming the same single segment.</summary>
    public string[] SharedReferences(HashSet<string> keys)
    {
        if (keys.Count != 1)
        {
            return keys.Count == 0 ? [] : [.. keys];
        }

        string only = null!;
        foreach (var key in keys)
        {
            only = key;
        }

        return _references.TryGetValue(only, out var shared) ? shared : Remember(_references, only, [only]);
    }

    /// <summary>A flag's variants, as an array shared by every flag with the same two shared (boolean) variants.</summary>
    public CompiledVariant[] SharedVariants(List<CompiledVariant> variants)
    {
        if (variants.Count != 2 || !variants[0].IsShared || !variants[1].IsShared)
        {
            return [.. variants];
        }

        var key = (variants[0], variants[1]);
        return _variantPairs.TryGetValue(key, out var shared) ? shared : Remember(_variantPairs, key, [.. variants]);
    }

    // Every pool here is bounded the same way: emptied when full, so arbitrary input cannot grow it without limit.
    private static TValue Remember<TKey, TValue>(Dictionary<TKey, TValue> pool, TKey key, TValue value, int bound = MaxSharedArrays)
        where TKey : notnull
    {
        if (pool.Count >= bound)
        {
            pool.Clear();
        }

        pool[key] = value;
        return value;
    }

    /// <summary>This thread's scratch, emptied.</summary>
    public static Scratch Take()
    {
        var scratch = Current;
        scratch.VariantIndex.Clear();
        scratch.Variants.Clear();
        scratch.Prerequisites.Clear();
        scratch.SegmentReferences.Clear();
        scratch.Rules.Clear();
        scratch.RuleIds.Clear();
        return scratch;
    }
}
