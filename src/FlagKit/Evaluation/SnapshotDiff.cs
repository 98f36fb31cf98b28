using FlagKit.Compilation;

namespace FlagKit.Evaluation;

/// <summary>Which flags' results could differ between two snapshots.</summary>
internal static class SnapshotDiff
{
    /// <summary>
    /// The keys, in ordinal order, of flags added, removed or edited; of flags that use (directly or through other
    /// segments) a segment added, removed or edited; and of flags whose prerequisites are among these, transitively.
    /// </summary>
    /// <remarks>
    /// When <paramref name="next"/> was built by a delta applied to <paramref name="previous"/> (the usual case), only the
    /// documents that delta touched are compared, and dependents are found through the dependency index: O(change).
    /// Otherwise every flag and segment is compared.
    /// </remarks>
    public static string[] ChangedKeys(FlagSnapshot previous, FlagSnapshot next)
    {
        if (next.Lineage is { } lineage && lineage.BaseIdentity == previous.Identity)
        {
            return ChangedByDelta(previous, next, lineage);
        }

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

    private static string[] ChangedByDelta(FlagSnapshot previous, FlagSnapshot next, SnapshotLineage lineage)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in lineage.Flags)
        {
            var had = previous.TryGetFlag(key, out var before);
            var has = next.TryGetFlag(key, out var after);
            if (had != has || (had && !Same(before!, after!)))
            {
                changed.Add(key);
            }
        }

        var changedSegments = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in lineage.Segments)
        {
            var had = previous.Segments.TryGetValue(key, out var before);
            var has = next.Segments.TryGetValue(key, out var after);
            if (had != has || (had && !Same(before!, after!)))
            {
                changedSegments.Add(key);
            }
        }

        if (changedSegments.Count == 0 && changed.Count == 0)
        {
            return [];
        }

        var dependencies = next.Dependencies;
        if (changedSegments.Count != 0)
        {
            dependencies.CloseOverSegmentUsers(changedSegments);
            foreach (var segment in changedSegments)
            {
                foreach (var key in dependencies.FlagsUsingSegment(segment))
                {
                    if (next.ContainsFlag(key))
                    {
                        changed.Add(key);
                    }
                }
            }
        }

        // Dependents of changed flags, through prerequisites, transitively.
        var queue = new Queue<string>(changed);
        while (queue.TryDequeue(out var key))
        {
            foreach (var dependent in dependencies.FlagsRequiring(key))
            {
                if (changed.Add(dependent))
                {
                    queue.Enqueue(dependent);
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
