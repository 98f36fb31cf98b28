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

    // Condition operands repeat across flags ("eu", "us", a segment key): the compiled conditions of a large file
    // share one string per distinct text. Bounded; emptied when full.
    private const int MaxSharedTexts = 4096;
    private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);

    /// <summary>An equal string already kept by a compiled condition, or <paramref name="text"/> itself.</summary>
    public string Shared(string text)
    {
        if (_texts.TryGetValue(text, out var shared))
        {
            return shared;
        }

        if (_texts.Count >= MaxSharedTexts)
        {
            _texts.Clear();
        }

        _texts[text] = text;
        return text;
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
