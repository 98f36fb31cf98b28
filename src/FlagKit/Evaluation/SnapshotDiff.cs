using FlagKit.Compilation;

namespace FlagKit.Evaluation;

/// <summary>Which flags' results could differ between two snapshots.</summary>
internal static class SnapshotDiff
{
    /// <summary>
    /// The keys, in ordinal order, of flags added, removed or edited; of flags that use (directly or through other
    /// segments) a segment added, removed or edited; and of flags whose prerequisites are among these, transitively.
    /// </summary>
    public static string[] ChangedKeys(FlagSnapshot previous, FlagSnapshot next)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, flag) in next.Flags)
        {
            if (!previous.TryGetFlag(key, out var before) || !Same(before, flag))
            {
                changed.Add(key);
            }
        }

        foreach (var key in previous.Flags.Keys)
        {
            if (!next.Flags.ContainsKey(key))
            {
                changed.Add(key);
            }
        }

        var changedSegments = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, segment) in next.Segments)
        {
            if (!previous.Segments.TryGetValue(key, out var before) || !Same(before, segment))
            {
                changedSegments.Add(key);
            }
        }

        foreach (var key in previous.Segments.Keys)
        {
            if (!next.Segments.ContainsKey(key))
            {
                changedSegments.Add(key);
            }
        }

        if (changedSegments.Count != 0)
        {
            var grew = true;
            while (grew)
            {
                grew = false;
                foreach (var segment in next.Segments.Values)
                {
                    if (!changedSegments.Contains(segment.Key) && segment.SegmentReferences.Any(changedSegments.Contains))
                    {
                        changedSegments.Add(segment.Key);
                        grew = true;
                    }
                }
            }

            foreach (var flag in next.Flags.Values)
            {
                if (flag.SegmentReferences.Any(changedSegments.Contains))
                {
                    changed.Add(flag.Key);
                }
            }
        }

        if (changed.Count != 0)
        {
            // Dependents of changed flags, through prerequisites, transitively.
            var dependents = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var flag in next.Flags.Values)
            {
                foreach (var prerequisite in flag.Prerequisites)
                {
                    if (!dependents.TryGetValue(prerequisite.FlagKey, out var list))
                    {
                        dependents[prerequisite.FlagKey] = list = [];
                    }

                    list.Add(flag.Key);
                }
            }

            var queue = new Queue<string>(changed);
            while (queue.TryDequeue(out var key))
            {
                if (dependents.TryGetValue(key, out var list))
                {
                    foreach (var dependent in list)
                    {
                        if (changed.Add(dependent))
                        {
                            queue.Enqueue(dependent);
                        }
                    }
                }
            }
        }

        var keys = changed.ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        return keys;
    }

    private static bool Same(CompiledFlag before, CompiledFlag after) =>
        ReferenceEquals(before, after)
        || (string.Equals(before.Failure, after.Failure, StringComparison.Ordinal)
            && FlagJson.SerializeFlag(before.Document).AsSpan().SequenceEqual(FlagJson.SerializeFlag(after.Document)));

    private static bool Same(CompiledSegment before, CompiledSegment after) =>
        ReferenceEquals(before, after)
        || FlagJson.SerializeSegment(before.Document).AsSpan().SequenceEqual(FlagJson.SerializeSegment(after.Document));
}
