using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Evaluation;

namespace FlagKit;

/// <summary>
/// One revision of every flag and segment, compiled and immutable. A <see cref="FlagClient"/> evaluates against
/// exactly one snapshot per call, and swaps to the next one atomically.
/// </summary>
/// <remarks>
/// Immutable and thread safe. Snapshots are built by the flag sources (from a file, memory, or the flag server);
/// users read their <see cref="Revision"/> and <see cref="ContentHash"/> and export them with <see cref="ToFile"/>.
/// </remarks>
public sealed class FlagSnapshot
{
    // Flags are looked up on every evaluation, so they live in a PagedTextMap (TextMap's cheaper hash than Dictionary's,
    // in pages that a delta copies only where it changes them); segments, looked up only while compiling, too.
    private readonly PagedTextMap<CompiledFlag> _flags;
    private readonly PagedTextMap<CompiledSegment> _segments;
    private static long s_nextIdentity;
    private string? _contentHash;
    private DependencyIndex? _dependencies;

    internal FlagSnapshot(long revision, PagedTextMap<CompiledFlag> flags, PagedTextMap<CompiledSegment> segments)
        : this(revision, flags, segments, lineage: null, dependencies: null)
    {
    }

    /// <param name="revision">The revision.</param>
    /// <param name="flags">The compiled flags.</param>
    /// <param name="segments">The compiled segments.</param>
    /// <param name="lineage">Built by a delta: what it changed against its base; else null.</param>
    /// <param name="dependencies">The base's dependency index when the delta changed no edge; else null (built on first use).</param>
    internal FlagSnapshot(long revision, PagedTextMap<CompiledFlag> flags, PagedTextMap<CompiledSegment> segments, SnapshotLineage? lineage, DependencyIndex? dependencies)
    {
        Revision = revision;
        _flags = flags;
        _segments = segments;
        Lineage = lineage;
        _dependencies = dependencies;
        Identity = Interlocked.Increment(ref s_nextIdentity);
    }

    /// <summary>The snapshot with no flags, at revision 0: what a client serves before its first snapshot arrives.</summary>
    public static FlagSnapshot Empty { get; } = new(0, PagedTextMap<CompiledFlag>.Empty, PagedTextMap<CompiledSegment>.Empty);

    /// <summary>The revision: rises with every change the flag server commits (or every reload of a file).</summary>
    public long Revision { get; }

    /// <summary>The number of flags.</summary>
    public int FlagCount => _flags.Count;

    /// <summary>The number of segments.</summary>
    public int SegmentCount => _segments.Count;

    /// <summary>
    /// Lowercase hex SHA-256 of the snapshot's content: of the sum of the SHA-256 of every flag and segment document
    /// in its compact JSON form, and of their numbers. Two snapshots with the same documents have the same hash,
    /// whatever their revision; the flag server computes the same hash per write from the documents it changes.
    /// </summary>
    /// <remarks>Computed on first use, then cached.</remarks>
    public string ContentHash => _contentHash ??= ComputeContentHash();

    /// <summary>The flag keys, in no particular order.</summary>
    public IEnumerable<string> FlagKeys => _flags.Keys;

    internal PagedTextMap<CompiledFlag> Flags => _flags;

    internal PagedTextMap<CompiledSegment> Segments => _segments;

    /// <summary>Unique in this process: what a later snapshot's <see cref="Lineage"/> names as its base.</summary>
    internal long Identity { get; }

    /// <summary>What the delta that built this snapshot changed against its base; null for a full build.</summary>
    internal SnapshotLineage? Lineage { get; }

    /// <summary>Who depends on whom (built on first use, O(flags), unless a delta handed its base's index on).</summary>
    internal DependencyIndex Dependencies
    {
        get
        {
            var index = Volatile.Read(ref _dependencies);
            if (index is null)
            {
                index = DependencyIndex.Build(_flags.Values, _segments.Values);
                index = Interlocked.CompareExchange(ref _dependencies, index, null) ?? index;
            }

            return index;
        }
    }

    /// <summary>The dependency index if it was built already (a delta hands it on only then).</summary>
    internal DependencyIndex? DependenciesIfBuilt => Volatile.Read(ref _dependencies);

    /// <summary>
    /// The documents this snapshot was compiled from (deep copies, flags and segments in ordinal key order), e.g.
    /// for a disk cache or an export. A flag that failed to compile is exported as it was received.
    /// </summary>
    /// <returns>A new file; changing it does not change the snapshot.</returns>
    public FlagFile ToFile() => new()
    {
        Schema = FlagFile.CurrentSchema,
        Flags = [.. _flags.Values.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => FlagJson.Clone(f.Document))],
        Segments = [.. _segments.Values.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => FlagJson.Clone(s.Document))],
    };

    /// <summary>Whether the snapshot has a flag with this key.</summary>
    /// <param name="key">The flag key.</param>
    /// <returns><see langword="true"/> when the flag exists.</returns>
    public bool ContainsFlag(string key) => _flags.ContainsKey(key);

    internal bool TryGetFlag(string key, [MaybeNullWhen(false)] out CompiledFlag flag) => _flags.TryGetValue(key, out flag);

    /// <summary>
    /// The index of the variant a flag found with <see cref="TryGetFlag"/> serves, or -1 for the caller's default: what
    /// the typed getters need, without the details. Never throws.
    /// </summary>
    internal int EvaluateVariant(CompiledFlag flag, EvaluationContext? context)
    {
        if (flag.ConstantVariant >= 0)
        {
            return flag.ConstantVariant;
        }

        try
        {
            return Evaluator.Variant(this, flag, context ?? EvaluationContext.Empty);
        }
        catch (Exception)
        {
            return -1;
        }
    }

    /// <summary>Evaluates a flag found with <see cref="TryGetFlag"/>; the fault handling of <see cref="Evaluate(string, EvaluationContext?)"/>.</summary>
    internal FlagEvaluation Evaluate(CompiledFlag flag, EvaluationContext? context)
    {
        if (flag.ConstantVariant >= 0)
        {
            // Killed, off, or nothing but a default variant: decided when the flag was compiled.
            return new FlagEvaluation(flag, flag.ConstantVariant, flag.ConstantReason, EvaluationErrorCode.None, null, Revision);
        }

        try
        {
            return Evaluator.Evaluate(this, flag, context ?? EvaluationContext.Empty, depth: 0);
        }
        catch (Exception)
        {
            // A regex that timed out, or a fault nobody foresaw: the caller gets its default, never an exception.
            return FlagEvaluation.Fault(flag, EvaluationReason.Error, EvaluationErrorCode.General, Revision);
        }
    }

    /// <summary>
    /// Evaluates one flag: the one routine every typed getter uses. Never throws: a missing flag gives
    /// <see cref="EvaluationReason.FlagNotFound"/>, a fault gives <see cref="EvaluationReason.Error"/>.
    /// </summary>
    internal FlagEvaluation Evaluate(string key, EvaluationContext? context)
    {
        return _flags.TryGetValue(key, out var flag)
            ? Evaluate(flag, context)
            : FlagEvaluation.Fault(null, EvaluationReason.FlagNotFound, EvaluationErrorCode.FlagNotFound, Revision);
    }

    /// <summary>Formats the snapshot for logs.</summary>
    /// <returns>Revision and counts.</returns>
    public override string ToString() => $"revision {Revision}: {FlagCount} flags, {SegmentCount} segments";

    private string ComputeContentHash()
    {
        var digest = ContentDigest.Empty;
        foreach (var flag in _flags.Values)
        {
            digest += ContentDigest.OfFlag(flag.Document);
        }

        foreach (var segment in _segments.Values)
        {
            digest += ContentDigest.OfSegment(segment.Document);
        }

        return digest.ToHex();
    }
}
