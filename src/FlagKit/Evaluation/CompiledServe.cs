using System.Collections.Concurrent;
using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Versioning;

namespace FlagKit.Evaluation;

/// <summary>What a rule or the default rule serves: one variant, or a split.</summary>
internal readonly struct CompiledServe
{
    public CompiledServe(int variant, CompiledSplit? split)
    {
        Variant = variant;
        Split = split;
    }

    /// <summary>The variant's index, or -1 when <see cref="Split"/> is set.</summary>
    public int Variant { get; }

    public CompiledSplit? Split { get; }
}
