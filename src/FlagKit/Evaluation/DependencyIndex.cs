namespace FlagKit.Evaluation;

/// <summary>
/// Who depends on whom in one snapshot: the flags and segments that name each segment, and the flags that require
/// each flag. Lets a delta find what a changed segment or flag affects without a scan of every flag.
/// </summary>
/// <remarks>
/// Immutable and thread safe. Built once per snapshot that needs it (O(flags + segments)); a delta that changes no
/// edge (the usual edit: a rule's values, a rollout, on/off) hands its base's index on as is, so deltas stay O(change).
/// </remarks>
internal sealed class DependencyIndex
{
    private readonly Dictionary<string, string[]> _flagsBySegment;
    private readonly Dictionary<string, string[]> _segmentsBySegment;
    private readonly Dictionary<string, string[]> _flagsByPrerequisite;

    private DependencyIndex(Dictionary<string, string[]> flagsBySegment, Dictionary<string, string[]> segmentsBySegment, Dictionary<string, string[]> flagsByPrerequisite)
    {
        _flagsBySegment = flagsBySegment;
        _segmentsBySegment = segmentsBySegment;
        _flagsByPrerequisite = flagsByPrerequisite;
    }

    /// <summary>Builds the index of a snapshot's flags and segments.</summary>
    public static DependencyIndex Build(IEnumerable<CompiledFlag> flags, IEnumerable<CompiledSegment> segments)
    {
        var flagsBySegment = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var flagsByPrerequisite = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var flag in flags)
        {
            foreach (var segment in flag.SegmentReferences)
            {
                Add(flagsBySegment, segment, flag.Key);
            }

            foreach (var prerequisite in flag.Prerequisites)
            {
                Add(flagsByPrerequisite, prerequisite.FlagKey, flag.Key);
            }
        }

        var segmentsBySegment = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var segment in segments)
        {
            foreach (var reference in segment.SegmentReferences)
            {
                Add(segmentsBySegment, reference, segment.Key);
            }
        }

        return new DependencyIndex(Freeze(flagsBySegment), Freeze(segmentsBySegment), Freeze(flagsByPrerequisite));
    }

    /// <summary>Keys of the flags whose conditions name <paramref name="segment"/> directly.</summary>
    public string[] FlagsUsingSegment(string segment) => _flagsBySegment.GetValueOrDefault(segment) ?? [];

    /// <summary>Keys of the segments whose conditions name <paramref name="segment"/> directly.</summary>
    public string[] SegmentsUsingSegment(string segment) => _segmentsBySegment.GetValueOrDefault(segment) ?? [];

    /// <summary>Keys of the flags that have <paramref name="flag"/> as a prerequisite.</summary>
    public string[] FlagsRequiring(string flag) => _flagsByPrerequisite.GetValueOrDefault(flag) ?? [];

    /// <summary>Whether two compiled flags have the same edges (segments named, prerequisites), so the index holds for both.</summary>
    public static bool SameEdges(CompiledFlag? before, CompiledFlag? after) =>
        (before?.SegmentReferences ?? []).AsSpan().SequenceEqual(after?.SegmentReferences ?? [])
        && SamePrerequisites(before?.Prerequisites ?? [], after?.Prerequisites ?? []);

    /// <summary>Whether two compiled segments name the same segments.</summary>
    public static bool SameEdges(CompiledSegment? before, CompiledSegment? after) =>
        (before?.SegmentReferences ?? []).AsSpan().SequenceEqual(after?.SegmentReferences ?? []);

    /// <summary>
    /// <paramref name="segments"/> and, transitively, every segment that names one of them (compiled segments hold
    /// direct references to the segments they name, so all of these change together).
    /// </summary>
    public void CloseOverSegmentUsers(HashSet<string> segments)
    {
        var queue = new Queue<string>(segments);
        while (queue.TryDequeue(out var key))
        {
            foreach (var user in SegmentsUsingSegment(key))
            {
                if (segments.Add(user))
                {
                    queue.Enqueue(user);
                }
            }
        }
    }

    private static bool SamePrerequisites(CompiledPrerequisite[] before, CompiledPrerequisite[] after)
    {
        if (before.Length != after.Length)
        {
            return false;
        }

        for (var i = 0; i < before.Length; i++)
        {
            if (!string.Equals(before[i].FlagKey, after[i].FlagKey, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static void Add(Dictionary<string, List<string>> index, string key, string dependent)
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = [];
        }

        if (list.Count == 0 || !string.Equals(list[^1], dependent, StringComparison.Ordinal))
        {
            list.Add(dependent);
        }
    }

    private static Dictionary<string, string[]> Freeze(Dictionary<string, List<string>> index)
    {
        var frozen = new Dictionary<string, string[]>(index.Count, StringComparer.Ordinal);
        foreach (var (key, list) in index)
        {
            frozen[key] = [.. list];
        }

        return frozen;
    }
}
