using FlagKit.Documents;
using FlagKit.Evaluation;

namespace FlagKit.Compilation;

/// <summary>
/// Turns flag documents into an immutable <see cref="FlagSnapshot"/>, doing all the costly work (validation, regexes,
/// CIDRs, operands, segment resolution, salts) here, off the evaluation path.
/// </summary>
/// <remarks>Thread safe: each call works on its own data. The documents passed in must not be modified afterwards.</remarks>
internal static class SnapshotBuilder
{
    /// <summary>
    /// Strict build: validates everything and throws listing every error; nothing is half-built. Used by the file
    /// source, the server (before it commits) and the CLI (dry runs).
    /// </summary>
    /// <param name="file">The documents.</param>
    /// <param name="revision">The revision the snapshot carries.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="FlagValidationException">Any document is invalid (every error is listed).</exception>
    public static FlagSnapshot Build(FlagFile file, long revision) => Build(file, revision, focusKey: null);

    /// <summary>
    /// Strict build where the flag or segment keyed <paramref name="focusKey"/> is the one being changed: its errors
    /// are reported with paths relative to that document (<c>$.rules[0]...</c>), as the person changing it wrote it.
    /// </summary>
    internal static FlagSnapshot Build(FlagFile file, long revision, string? focusKey)
    {
        ArgumentNullException.ThrowIfNull(file);
        var assembler = new SnapshotAssembler(NewFlags(), NewSegments(), fallback: null, failures: null);
        var schemaError = SchemaProblem(file);
        Add(assembler, file, focusKey);
        var snapshot = assembler.Assemble(revision);
        var errors = assembler.Errors;
        if (schemaError is not null)
        {
            errors.Insert(0, schemaError);
        }

        if (errors.Count != 0)
        {
            throw new FlagValidationException(errors);
        }

        return snapshot;
    }

    /// <summary>
    /// Lenient build (the sync path): a document that fails keeps its last good compiled version from
    /// <paramref name="previous"/>, else serves the caller's default with reason ERROR; each failure is reported.
    /// </summary>
    /// <param name="file">The documents.</param>
    /// <param name="revision">The revision the snapshot carries.</param>
    /// <param name="previous">The snapshot serving now, if any.</param>
    /// <param name="failures">Receives one entry per document that failed.</param>
    /// <returns>The snapshot; never throws for bad documents.</returns>
    public static FlagSnapshot BuildLenient(FlagFile file, long revision, FlagSnapshot? previous, List<DocumentFailure> failures)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(failures);
        if (SchemaProblem(file) is { } schemaError)
        {
            // Documents of a schema this SDK does not know are compiled anyway: what it understands works, and
            // each construct it does not know fails its own document (which then serves ERROR), never guessed.
            failures.Add(new DocumentFailure(false, "", schemaError.ToString()));
        }

        var assembler = new SnapshotAssembler(NewFlags(), NewSegments(), previous ?? FlagSnapshot.Empty, failures);
        Add(assembler, file, focusKey: null);
        return assembler.Assemble(revision);
    }

    /// <summary>
    /// Applies a delta to <paramref name="previous"/>: compiles only the documents that changed and those that use a
    /// changed segment, and reuses every other compiled flag. A document that fails keeps its last good version.
    /// </summary>
    /// <returns>The next snapshot; never throws for bad documents.</returns>
    public static FlagSnapshot ApplyDelta(
        FlagSnapshot previous,
        long toRevision,
        IReadOnlyList<FlagDocument> upsertFlags,
        IReadOnlyList<SegmentDocument> upsertSegments,
        IReadOnlyList<string> removedFlags,
        IReadOnlyList<string> removedSegments,
        List<DocumentFailure> failures)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(failures);
        var flags = new PagedMapBuilder<CompiledFlag>(previous.Flags);

        var segments = new PagedMapBuilder<CompiledSegment>(previous.Segments);
        foreach (var key in removedFlags)
        {
            flags.Remove(key);
        }

        // Segments whose compiled form must change: upserted or removed ones, and every segment that names one of
        // them, transitively (compiled segments hold direct references to the segments they name).
        var changedSegments = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in removedSegments)
        {
            segments.Remove(key);
            changedSegments.Add(key);
        }

        foreach (var segment in upsertSegments)
        {
            if (segment?.Key is { } key)
            {
                changedSegments.Add(key);
            }
        }

        var assembler = new SnapshotAssembler(flags, segments, previous, failures);
        var touchedFlags = new HashSet<string>(removedFlags, StringComparer.Ordinal);
        var upserted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var segment in upsertSegments)
        {
            if (segment?.Key is { } key)
            {
                upserted.Add(key);
            }
        }

        if (changedSegments.Count != 0)
        {
            // Found through the dependency index (built once per snapshot that needs it, then handed on by deltas
            // that change no edge), not by a scan of every segment and flag.
            var dependencies = previous.Dependencies;
            dependencies.CloseOverSegmentUsers(changedSegments);
            foreach (var key in changedSegments)
            {
                if (!upserted.Contains(key) && segments.TryGetValue(key, out var dependent))
                {
                    assembler.AddSegment(dependent.Document, "$");
                }
            }

            var upsertedFlags = new HashSet<string>(StringComparer.Ordinal);
            foreach (var flag in upsertFlags)
            {
                if (flag?.Key is { } key)
                {
                    upsertedFlags.Add(key);
                }
            }

            foreach (var segmentKey in changedSegments)
            {
                foreach (var flagKey in dependencies.FlagsUsingSegment(segmentKey))
                {
                    if (!upsertedFlags.Contains(flagKey) && touchedFlags.Add(flagKey) && flags.TryGetValue(flagKey, out var flag))
                    {
                        assembler.AddFlag(flag.Document, "$");
                    }
                }
            }
        }

        foreach (var segment in upsertSegments)
        {
            assembler.AddSegment(segment, "$");
        }

        foreach (var flag in upsertFlags)
        {
            if (flag?.Key is { } key)
            {
                touchedFlags.Add(key);
            }

            assembler.AddFlag(flag, "$");
        }

        return assembler.AssembleDelta(toRevision, previous, touchedFlags, changedSegments);
    }

    private static void Add(SnapshotAssembler assembler, FlagFile file, string? focusKey)
    {
        assembler.Reserve(file.Flags?.Count ?? 0, file.Segments?.Count ?? 0);
        var segments = file.Segments ?? [];
        for (var i = 0; i < segments.Count; i++)
        {
            if (focusKey is not null && segments[i]?.Key == focusKey)
            {
                assembler.AddSegment(segments[i], "$");
            }
            else
            {
                assembler.AddSegment(segments[i], "$.segments", i);
            }
        }

        var flags = file.Flags ?? [];
        for (var i = 0; i < flags.Count; i++)
        {
            if (focusKey is not null && flags[i]?.Key == focusKey)
            {
                assembler.AddFlag(flags[i], "$");
            }
            else
            {
                assembler.AddFlag(flags[i], "$.flags", i);
            }
        }
    }

    private static FlagValidationError? SchemaProblem(FlagFile file) =>
        file.Schema == FlagFile.CurrentSchema
            ? null
            : new FlagValidationError("file", "$.schema", $"unsupported schema {file.Schema}: this SDK reads schema {FlagFile.CurrentSchema}");

    private static PagedMapBuilder<CompiledFlag> NewFlags() => new();

    private static PagedMapBuilder<CompiledSegment> NewSegments() => new();
}
