using System.Collections.Concurrent;
using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Versioning;

namespace FlagKit.Evaluation;

/// <summary>
/// A flag compiled for evaluation. Immutable and thread safe; shared between snapshots while its document and the
/// segments it uses do not change.
/// </summary>
internal sealed class CompiledFlag
{
    private CompiledFlag(FlagDocument document, string? failure)
    {
        Document = document;
        Key = document.Key;
        Kind = document.Kind;
        Version = document.Version;
        On = document.On;
        Killed = Compilation.KillSources.IsKilled(document);
        Failure = failure;
        Variants = [];
        Tags = document.Tags is { Count: > 0 } tags ? tags : [];
        Prerequisites = [];
        Rules = [];
        SegmentReferences = [];
        ConstantVariant = -1;
        ConstantBool = -1;
    }

    public CompiledFlag(
        FlagDocument document,
        CompiledVariant[] variants,
        int offVariant,
        CompiledPrerequisite[] prerequisites,
        TextMap<int>? targets,
        CompiledRule[] rules,
        CompiledServe defaultServe,
        string[] segmentReferences)
    {
        Document = document;

        // Interned, so that the literal in `flags.IsEnabled("new-bonus-engine")` (which the runtime interns) is the
        // very same string: the snapshot's lookup then matches it by reference instead of comparing characters.
        Key = string.Intern(document.Key);
        Kind = document.Kind;
        Version = document.Version;
        On = document.On;
        Killed = Compilation.KillSources.IsKilled(document);
        Variants = variants;
        OffVariant = offVariant;
        Tags = document.Tags is { Count: > 0 } tags ? tags : [];
        Prerequisites = prerequisites;
        Targets = targets;
        Rules = rules;
        DefaultServe = defaultServe;
        SegmentReferences = segmentReferences;

        // Whatever the context, some flags serve one thing: killed, off, or on with nothing but a default variant.
        // Their result is decided here, once, and the evaluator returns it without looking at the context.
        if (Killed)
        {
            (ConstantVariant, ConstantReason) = (offVariant, EvaluationReason.Killed);
        }
        else if (!On)
        {
            (ConstantVariant, ConstantReason) = (offVariant, EvaluationReason.Disabled);
        }
        else if (prerequisites.Length == 0 && targets is null && rules.Length == 0 && defaultServe.Split is null)
        {
            (ConstantVariant, ConstantReason) = (defaultServe.Variant, EvaluationReason.Default);
        }
        else
        {
            ConstantVariant = -1;
        }

        ConstantBool = (sbyte)(Kind == FlagKind.Bool && ConstantVariant >= 0 ? (variants[ConstantVariant].Bool ? 1 : 0) : -1);

        // Version flags: each variant's version parsed once here (validation has checked they parse), so that resolving
        // one never parses or looks up text.
        if (Kind == FlagKind.Version)
        {
            Versions = new SemanticVersion?[variants.Length];
            for (var i = 0; i < variants.Length; i++)
            {
                Versions[i] = SemanticVersion.TryParse(variants[i].String, out var version) ? version : null;
            }
        }
    }

    /// <summary>
    /// This flag's exposure and outcome counters, created by the client's telemetry on first use (see
    /// <see cref="Telemetry.ExposureCounts"/>); the one mutable field of a compiled flag.
    /// </summary>
    public Telemetry.ExposureCounts? Exposures;

    /// <summary>The exposure counters themselves (<see cref="Telemetry.ExposureCounts.Counts"/>), read by the evaluation path in one load.</summary>
    public long[]? ExposureCounters;

    // Copied out of the document so that the hot path reads them from this object, one indirection fewer.
    public string Key { get; }

    public FlagKind Kind { get; }

    public long Version { get; }

    public bool On { get; }

    public bool Killed { get; }

    /// <summary>The document compiled (never modified after compilation).</summary>
    public FlagDocument Document { get; }

    /// <summary>Why this document could not be compiled; such a flag serves the caller's default with reason ERROR.</summary>
    public string? Failure { get; }

    public CompiledVariant[] Variants { get; }

    public int OffVariant { get; }

    /// <summary>The document's tags (documents are not modified once compiled, so they are not copied).</summary>
    public IReadOnlyList<string> Tags { get; }

    public CompiledPrerequisite[] Prerequisites { get; }

    /// <summary>Account id → variant index; <see langword="null"/> when the flag has no individual targets.</summary>
    public TextMap<int>? Targets { get; }

    public CompiledRule[] Rules { get; }

    /// <summary>What the flag serves when no target or rule matches.</summary>
    /// <remarks>A field, so that the evaluator reads it in place rather than copying the struct out of a property.</remarks>
    public readonly CompiledServe DefaultServe;

    /// <summary>Keys of the segments this flag's conditions name directly.</summary>
    public string[] SegmentReferences { get; }

    /// <summary>For a version flag, each variant's version (by variant index; null if it does not parse); else null.</summary>
    public SemanticVersion?[]? Versions { get; }

    /// <summary>The variant every evaluation serves when that does not depend on the context; else -1.</summary>
    public int ConstantVariant { get; }

    /// <summary>For a boolean flag with a <see cref="ConstantVariant"/>: its value, 1 or 0. Otherwise -1.</summary>
    public sbyte ConstantBool { get; }

    /// <summary>The reason that goes with <see cref="ConstantVariant"/>.</summary>
    public EvaluationReason ConstantReason { get; }

    /// <summary>A flag that serves the caller's default with reason ERROR (a document this SDK could not compile).</summary>
    public static CompiledFlag Failed(FlagDocument document, string failure) => new(document, failure);
}
