using FlagKit.Documents;
using FlagKit.Evaluation;

namespace FlagKit.Compilation;

/// <summary>
/// A strict delta (the server's writes): compiles only the documents a write changes and those that depend on them,
/// and decides whether the result is valid exactly as a strict <see cref="SnapshotBuilder.Build(FlagFile, long)"/> of
/// the same documents would.
/// </summary>
/// <remarks>
/// <para>Why it agrees with a full build, given that <c>previous</c> passed a strict build: a document can only gain an
/// error through something that changed. Its own content (the changed documents are compiled); a segment it names
/// (its users, transitively, are compiled again by <see cref="SnapshotBuilder.ApplyDelta"/>, which also finds a new
/// segment cycle: every segment of it names a changed one); a prerequisite flag that is gone or lost the required
/// variant (checked here for the dependents of removed flags and of flags whose variant names changed); a new
/// prerequisite cycle (it goes through a changed flag, and the changed flags' cycle walk finds it).</para>
/// <para>It answers only valid or not: a failing delta's errors are the full build's to give (paths such as
/// <c>$.flags[12]</c> depend on the whole file), so the caller builds the whole environment then, and only then.</para>
/// </remarks>
internal static class StrictDelta
{
    /// <summary>The next snapshot when the change is valid; <see langword="null"/> when a strict build would refuse it.</summary>
    /// <param name="previous">A snapshot that passed a strict build (or a strict delta), never a lenient one.</param>
    /// <param name="revision">The revision of the next snapshot.</param>
    /// <param name="upsertFlags">Flags created or replaced (distinct keys).</param>
    /// <param name="upsertSegments">Segments created or replaced (distinct keys).</param>
    /// <param name="removedFlags">Flags removed (none of them upserted).</param>
    /// <param name="removedSegments">Segments removed (none of them upserted).</param>
    /// <returns>The snapshot, or null.</returns>
    public static FlagSnapshot? TryApply(
        FlagSnapshot previous,
        long revision,
        IReadOnlyList<FlagDocument> upsertFlags,
        IReadOnlyList<SegmentDocument> upsertSegments,
        IReadOnlyList<string> removedFlags,
        IReadOnlyList<string> removedSegments)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var failures = new List<DocumentFailure>();
        var next = SnapshotBuilder.ApplyDelta(previous, revision, upsertFlags, upsertSegments, removedFlags, removedSegments, failures);
        return failures.Count == 0 && DependentsHold(previous, next, upsertFlags, removedFlags) ? next : null;
    }

    // The flags that name a removed flag, or a flag whose variant names changed, as a prerequisite: still valid?
    private static bool DependentsHold(FlagSnapshot previous, FlagSnapshot next, IReadOnlyList<FlagDocument> upsertFlags, IReadOnlyList<string> removedFlags)
    {
        HashSet<string>? changed = removedFlags.Count == 0 ? null : new HashSet<string>(removedFlags, StringComparer.Ordinal);
        foreach (var flag in upsertFlags)
        {
            if (previous.TryGetFlag(flag.Key, out var before) && !SameVariantNames(before.Document.Variants, flag.Variants))
            {
                (changed ??= new HashSet<string>(StringComparer.Ordinal)).Add(flag.Key);
            }
        }

        if (changed is null)
        {
            return true;
        }

        // Upserted flags were checked by the assembler; the others are scanned (O(flags), only when a flag is removed
        // or its variant names change: rare next to rule and state edits, which take the path above).
        foreach (var flag in next.Flags.Values)
        {
            foreach (var prerequisite in flag.Prerequisites)
            {
                if (changed.Contains(prerequisite.FlagKey)
                    && (!next.TryGetFlag(prerequisite.FlagKey, out var required) || (required.Document.Variants is { } variants && !variants.ContainsKey(prerequisite.Variant))))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool SameVariantNames(Dictionary<string, System.Text.Json.JsonElement>? before, Dictionary<string, System.Text.Json.JsonElement>? after)
    {
        if (before is null || after is null)
        {
            return before is null && after is null;
        }

        return before.Count == after.Count && before.Keys.All(after.ContainsKey);
    }
}
