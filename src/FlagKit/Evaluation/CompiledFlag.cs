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

/// <summary>A sticky percentage split: consecutive bucket ranges in list order.</summary>
internal sealed class CompiledSplit
{
    public CompiledSplit(AttributeRef bucketBy, string salt, int[] upperBounds, int[] variants)
    {
        BucketBy = bucketBy;
        SaltText = salt;
        Salt = MurmurHash3.Prefix(salt);
        UpperBounds = upperBounds;
        Variants = variants;
    }

    public AttributeRef BucketBy { get; }

    /// <summary>The salt (the split's, else the flag's salt, else the flag key).</summary>
    public string SaltText { get; }

    /// <summary>The bucketing hash of <c>salt + "/"</c>, computed once.</summary>
    public MurmurPrefix Salt { get; }

    /// <summary>The bucket (0 to 9 999) of a key under this split's salt.</summary>
    public int Bucket(string key) => MurmurHash3.Bucket(Salt, SaltText, key);

    /// <summary>Exclusive upper bucket bound of each entry (cumulative basis points; the last is 10 000).</summary>
    public int[] UpperBounds { get; }

    /// <summary>The variant index of each entry.</summary>
    public int[] Variants { get; }

    public int VariantFor(int bucket)
    {
        var bounds = UpperBounds;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (bucket < bounds[i])
            {
                return Variants[i];
            }
        }

        return Variants[^1];
    }
}

/// <summary>A rule compiled: conditions (AND) and what it serves.</summary>
/// <remarks>
/// A value held in the flag's rule array, so that the evaluator reads a rule in place; a rule of one condition (the
/// usual case) keeps it in <see cref="Single"/> as well, sparing the read of the condition array.
/// </remarks>
internal readonly struct CompiledRule
{
    public CompiledRule(string id, IReadOnlyList<Condition> conditions, CompiledServe serve)
    {
        Id = id;

        // A rule of one condition keeps it alone, without the array (one object fewer per rule in a large snapshot).
        Single = conditions.Count == 1 ? conditions[0] : null;
        Conditions = Single is null ? [.. conditions] : [];
        Serve = serve;
    }

    /// <summary>The rule's id, or its index when the document gives none.</summary>
    public string Id { get; }

    /// <summary>The conditions, when there are none or several (then <see cref="Single"/> is null); else empty.</summary>
    public Condition[] Conditions { get; }

    /// <summary>The only condition, when there is exactly one; else <see langword="null"/>.</summary>
    public Condition? Single { get; }

    /// <summary>What the rule serves; a field, read in place (see <see cref="CompiledFlag.DefaultServe"/>).</summary>
    public readonly CompiledServe Serve;

    /// <summary>Whether every condition matches (a rule without conditions matches everyone).</summary>
    public bool Matches(EvaluationContext context) =>
        Single is { } single ? single.Matches(context) : Evaluator.AllMatch(Conditions, context);
}

/// <summary>A prerequisite: the flag (looked up by key in the same snapshot) must serve the variant.</summary>
internal sealed record CompiledPrerequisite(string FlagKey, string Variant);

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
