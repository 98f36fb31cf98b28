using FlagKit.Documents;
using FlagKit.Evaluation;

namespace FlagKit.Compilation;

/// <summary>
/// Puts a snapshot together from compiled documents it keeps and documents it compiles: orders segments by their
/// references, detects segment and prerequisite cycles, checks prerequisites, and (lenient mode) falls back to the
/// last good version of a document that fails.
/// </summary>
/// <remarks>One use per build; not thread safe.</remarks>
internal sealed class SnapshotAssembler
{
    private readonly PagedMapBuilder<CompiledFlag> _flags;
    private readonly PagedMapBuilder<CompiledSegment> _segments;
    private readonly FlagSnapshot? _fallback;
    private readonly List<DocumentFailure>? _failures;
    private readonly List<FlagValidationError> _errors = [];
    private readonly List<(SegmentDocument Document, string Root, int Index)> _segmentDocuments = [];
    private readonly List<(FlagDocument Document, string Root, int Index)> _flagDocuments = [];

    /// <param name="keptFlags">Compiled flags carried over unchanged (a delta), or empty.</param>
    /// <param name="keptSegments">Compiled segments carried over unchanged, or empty.</param>
    /// <param name="fallback">Lenient mode: where a failing document's last good version comes from. Null: strict.</param>
    /// <param name="failures">Lenient mode: where failing documents are reported.</param>
    public SnapshotAssembler(
        PagedMapBuilder<CompiledFlag> keptFlags,
        PagedMapBuilder<CompiledSegment> keptSegments,
        FlagSnapshot? fallback,
        List<DocumentFailure>? failures)
    {
        _flags = keptFlags;
        _segments = keptSegments;
        _fallback = fallback;
        _failures = failures;
    }

    private bool Lenient => _failures is not null;

    /// <summary>Every validation error found (strict mode; in lenient mode they become failures).</summary>
    public List<FlagValidationError> Errors => _errors;

    /// <summary>Makes room for a file of this many documents (a build of 10 000 flags otherwise regrows its lists).</summary>
    public void Reserve(int flags, int segments)
    {
        _flagDocuments.EnsureCapacity(flags);
        _segmentDocuments.EnsureCapacity(segments);
        _flags.Reserve(flags);
    }

    /// <param name="document">The document.</param>
    /// <param name="root">Its path: <c>$</c>, or with <paramref name="index"/> <c>$.segments[index]</c>.</param>
    /// <param name="index">Its index in <paramref name="root"/>, or -1.</param>
    public void AddSegment(SegmentDocument? document, string root, int index = -1)
    {
        if (document is null)
        {
            Report(DocumentErrors.ForSegment(null), new JsonPath(root, index), "expected a segment object, found null", isSegment: true, key: "");
            return;
        }

        _segmentDocuments.Add((document, root, index));
    }

    /// <param name="document">The document.</param>
    /// <param name="root">Its path: <c>$</c>, or with <paramref name="index"/> <c>$.flags[index]</c>.</param>
    /// <param name="index">Its index in <paramref name="root"/>, or -1.</param>
    public void AddFlag(FlagDocument? document, string root, int index = -1)
    {
        if (document is null)
        {
            Report(DocumentErrors.ForFlag(null), new JsonPath(root, index), "expected a flag object, found null", isSegment: false, key: "");
            return;
        }

        _flagDocuments.Add((document, root, index));
    }

    public FlagSnapshot Assemble(long revision)
    {
        CompileSegments();
        var compiledFlags = CompileFlags();
        CheckPrerequisites(compiledFlags);
        return new FlagSnapshot(revision, _flags.Build(), _segments.Build());
    }

    /// <summary>
    /// Assembles a delta's snapshot: records what it touched against <paramref name="previous"/> (its lineage), and hands
    /// the previous dependency index on when no touched document changed an edge (segment named, prerequisite).
    /// </summary>
    /// <param name="revision">The revision.</param>
    /// <param name="previous">The snapshot the delta applies to.</param>
    /// <param name="touchedFlags">Flag keys upserted, removed or recompiled.</param>
    /// <param name="touchedSegments">Segment keys upserted, removed or recompiled.</param>
    public FlagSnapshot AssembleDelta(long revision, FlagSnapshot previous, HashSet<string> touchedFlags, HashSet<string> touchedSegments)
    {
        CompileSegments();
        var compiledFlags = CompileFlags();
        CheckPrerequisites(compiledFlags);
        var flags = _flags.Build();
        var segments = _segments.Build();
        // Built on the first delta after a full build (O(flags), once), then handed on from snapshot to snapshot.
        DependencyIndex? dependencies = previous.Dependencies;
        if (dependencies is not null)
        {
            foreach (var key in touchedFlags)
            {
                previous.Flags.TryGetValue(key, out var before);
                flags.TryGetValue(key, out var after);
                if (!DependencyIndex.SameEdges(before, after))
                {
                    dependencies = null;
                    break;
                }
            }
        }

        if (dependencies is not null)
        {
            foreach (var key in touchedSegments)
            {
                previous.Segments.TryGetValue(key, out var before);
                segments.TryGetValue(key, out var after);
                if (!DependencyIndex.SameEdges(before, after))
                {
                    dependencies = null;
                    break;
                }
            }
        }

        return new FlagSnapshot(revision, flags, segments, new SnapshotLineage(previous.Identity, touchedFlags, touchedSegments), dependencies);
    }

    private void CompileSegments()
    {
        // Pending documents by key (the first of duplicates wins; the others are errors).
        var pending = new Dictionary<string, (SegmentDocument Document, string Root, int Index)>(StringComparer.Ordinal);
        foreach (var (document, root, index) in _segmentDocuments)
        {
            var path = new JsonPath(root, index);
            var key = document.Key ?? "";
            if (pending.ContainsKey(key))
            {
                Report(DocumentErrors.ForSegment(key), path.Property("key"), $"duplicate segment key '{key}'", isSegment: true, key);
                continue;
            }

            pending[key] = (document, root, index);
            _segments.Remove(key);
        }

        var failed = new HashSet<string>(StringComparer.Ordinal);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: in progress, true: done
        var stack = new List<string>();

        void Visit(string key)
        {
            state[key] = false;
            stack.Add(key);
            var (document, root, index) = pending[key];
            var path = new JsonPath(root, index);
            var errors = DocumentErrors.ForSegment(key);
            var rules = document.Rules ?? [];
            for (var r = 0; r < rules.Count; r++)
            {
                var conditions = rules[r]?.Conditions ?? [];
                for (var c = 0; c < conditions.Count; c++)
                {
                    foreach (var (reference, referencePath) in ConditionCompiler.SegmentReferences(conditions[c], path.Item("rules", r).Item("conditions", c).ToString()))
                    {
                        if (!pending.ContainsKey(reference))
                        {
                            continue;
                        }

                        if (state.TryGetValue(reference, out var done))
                        {
                            if (!done)
                            {
                                var cycle = stack.Skip(stack.IndexOf(reference)).Append(reference);
                                errors.Add(referencePath, $"segment cycle: {string.Join(" → ", cycle)}");
                            }

                            continue;
                        }

                        Visit(reference);
                    }
                }
            }

            if (errors.Count == 0)
            {
                var compiled = FlagCompiler.CompileSegment(document, path, ResolveSegment(failed), errors);
                if (compiled is not null)
                {
                    _segments.Set(compiled.Key, compiled);
                }
            }

            if (errors.Count != 0)
            {
                failed.Add(key);
                Fail(errors, isSegment: true, key);
                if (_fallback is not null && _fallback.Segments.TryGetValue(key, out var previous))
                {
                    _segments.Set(previous.Key, previous);
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[key] = true;
        }

        foreach (var key in pending.Keys)
        {
            if (!state.ContainsKey(key))
            {
                Visit(key);
            }
        }
    }

    private SegmentResolver ResolveSegment(HashSet<string> failed) => (string key, out string? problem) =>
    {
        if (_segments.TryGetValue(key, out var segment))
        {
            problem = null;
            return segment;
        }

        problem = failed.Contains(key) ? $"segment '{key}' has errors" : $"unknown segment '{key}'";
        return null;
    };

    private List<(CompiledFlag Flag, string Root, int Index)> CompileFlags()
    {
        var compiled = new List<(CompiledFlag, string, int)>(_flagDocuments.Count);
        var seen = new HashSet<string>(_flagDocuments.Count, StringComparer.Ordinal);
        var resolve = ResolveSegment(new HashSet<string>(StringComparer.Ordinal));

        // A flag that compiled leaves its (empty) error list behind for the next one: most builds have no error.
        DocumentErrors? spare = null;
        foreach (var (document, root, index) in _flagDocuments)
        {
            var path = new JsonPath(root, index);
            var key = document.Key ?? "";
            var errors = spare?.Reuse(key) ?? DocumentErrors.ForFlag(key);
            spare = null;
            if (!seen.Add(key))
            {
                Report(errors, path.Property("key"), $"duplicate flag key '{key}'", isSegment: false, key);
                continue;
            }

            var flag = FlagCompiler.CompileFlag(document, path, resolve, errors);
            if (flag is not null)
            {
                _flags.Set(flag.Key, flag);
                compiled.Add((flag, root, index));
                spare = errors;
            }
            else
            {
                Fail(errors, isSegment: false, key);
                FallBack(document, errors);
            }
        }

        return compiled;
    }

    private void CheckPrerequisites(List<(CompiledFlag Flag, string Root, int Index)> compiled)
    {
        // Errors are decided against the snapshot as assembled, then applied: a flag refused here is replaced by
        // its fallback, which can only remove edges, never add cycles among the flags that passed.
        var refused = new List<(CompiledFlag Flag, DocumentErrors Errors)>();
        foreach (var (flag, root, index) in compiled)
        {
            if (flag.Prerequisites.Length == 0)
            {
                continue;
            }

            var path = new JsonPath(root, index);
            var errors = DocumentErrors.ForFlag(flag.Key);
            for (var i = 0; i < flag.Prerequisites.Length; i++)
            {
                var prerequisite = flag.Prerequisites[i];
                var prerequisitePath = path.Item("prerequisites", i);
                if (!_flags.TryGetValue(prerequisite.FlagKey, out var required))
                {
                    errors.Add(prerequisitePath.Property("flag"), $"unknown prerequisite flag '{prerequisite.FlagKey}'");
                    continue;
                }

                if (required.Failure is null && required.Document.Variants is { } variants && !variants.ContainsKey(prerequisite.Variant))
                {
                    errors.Add(prerequisitePath.Property("variant"), $"unknown variant '{prerequisite.Variant}' of prerequisite flag '{prerequisite.FlagKey}'; its variants are {string.Join(", ", variants.Keys.Select(k => $"'{k}'"))}");
                }

                if (FindCycle(flag.Key, prerequisite.FlagKey) is { } cycle)
                {
                    errors.Add(prerequisitePath.Property("flag"), $"prerequisite cycle: {string.Join(" → ", cycle)}");
                }
            }

            if (errors.Count != 0)
            {
                refused.Add((flag, errors));
            }
        }

        foreach (var (flag, errors) in refused)
        {
            _flags.Remove(flag.Key);
            Fail(errors, isSegment: false, flag.Key);
            FallBack(flag.Document, errors);
        }
    }

    // A path from `next` back to `start` through prerequisites, as start → next → ... → start; null when none.
    private List<string>? FindCycle(string start, string next)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string> { start };

        bool Walk(string key)
        {
            path.Add(key);
            if (string.Equals(key, start, StringComparison.Ordinal))
            {
                return true;
            }

            if (visited.Add(key) && _flags.TryGetValue(key, out var flag))
            {
                foreach (var prerequisite in flag.Prerequisites)
                {
                    if (Walk(prerequisite.FlagKey))
                    {
                        return true;
                    }
                }
            }

            path.RemoveAt(path.Count - 1);
            return false;
        }

        return Walk(next) ? path : null;
    }

    private void FallBack(FlagDocument document, DocumentErrors errors)
    {
        if (!Lenient || string.IsNullOrEmpty(document.Key))
        {
            return;
        }

        var fallback = _fallback is not null && _fallback.TryGetFlag(document.Key, out var previous) && previous.Failure is null
            ? previous
            : CompiledFlag.Failed(document, errors.Describe());
        _flags.Set(fallback.Key, fallback);
    }

    private void Report(DocumentErrors errors, in JsonPath path, string message, bool isSegment, string key)
    {
        errors.Add(path, message);
        Fail(errors, isSegment, key);
    }

    private void Fail(DocumentErrors errors, bool isSegment, string key)
    {
        _errors.AddRange(errors.Items);
        _failures?.Add(new DocumentFailure(isSegment, key, errors.Describe()));
    }
}
