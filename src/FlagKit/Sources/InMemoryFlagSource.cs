using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Sources;

/// <summary>
/// Flags held in memory and changed by code: for tests, tools, and applications that compute their flags. Every
/// change is validated like a flags file and published as a new revision; a change that is refused changes nothing.
/// </summary>
/// <remarks>
/// Thread safe: changes are applied one at a time, in order. Documents passed in are copied, so later edits of them
/// do not reach the flags. Give the source to one <see cref="FlagClient"/>.
/// </remarks>
public sealed class InMemoryFlagSource : FlagSource
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, FlagDocument> _flags = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, SegmentDocument> _segments = new(StringComparer.Ordinal);
    private FlagSnapshot _snapshot;
    private FlagSnapshotSink? _sink;

    /// <summary>Creates a source with no flags.</summary>
    public InMemoryFlagSource()
    {
        _snapshot = SnapshotBuilder.Build(new FlagFile(), revision: 1);
    }

    /// <summary>Creates a source that serves the flags of <paramref name="file"/>.</summary>
    /// <param name="file">The flags and segments.</param>
    /// <exception cref="FlagValidationException">The file is invalid (every error is listed).</exception>
    public InMemoryFlagSource(FlagFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var copy = FlagJson.Clone(file);
        _snapshot = SnapshotBuilder.Build(copy, revision: 1);
        foreach (var flag in copy.Flags)
        {
            _flags[flag.Key] = flag;
        }

        foreach (var segment in copy.Segments)
        {
            _segments[segment.Key] = segment;
        }
    }

    /// <summary>The snapshot this source serves now.</summary>
    public FlagSnapshot Snapshot
    {
        get
        {
            lock (_gate)
            {
                return _snapshot;
            }
        }
    }

    /// <summary>Replaces every flag and segment with those of <paramref name="file"/>, as one revision.</summary>
    /// <param name="file">The new flags and segments.</param>
    /// <exception cref="FlagValidationException">The file is invalid; nothing changed.</exception>
    public void Replace(FlagFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var copy = FlagJson.Clone(file);
        Change(null, null, copy);
    }

    /// <summary>Adds a flag, or replaces the flag with the same key, as one revision.</summary>
    /// <param name="flag">The flag.</param>
    /// <exception cref="FlagValidationException">The flag is invalid, or breaks another (a prerequisite cycle); nothing changed.</exception>
    public void SetFlag(FlagDocument flag)
    {
        ArgumentNullException.ThrowIfNull(flag);
        var copy = FlagJson.Clone(flag);
        Change(flags => flags[copy.Key ?? ""] = copy, null, null, copy.Key);
    }

    /// <summary>Adds a segment, or replaces the segment with the same key, as one revision.</summary>
    /// <param name="segment">The segment.</param>
    /// <exception cref="FlagValidationException">The segment is invalid, or breaks a flag; nothing changed.</exception>
    public void SetSegment(SegmentDocument segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var copy = FlagJson.Clone(segment);
        Change(null, segments => segments[copy.Key ?? ""] = copy, null, copy.Key);
    }

    /// <summary>Removes a flag, as one revision.</summary>
    /// <param name="key">The flag key.</param>
    /// <returns><see langword="true"/> when the flag existed and was removed.</returns>
    /// <exception cref="FlagValidationException">Another flag needs it as a prerequisite; nothing changed.</exception>
    public bool RemoveFlag(string key)
    {
        var removed = false;
        Change(flags => removed = flags.Remove(key), null, null);
        return removed;
    }

    /// <summary>Removes a segment, as one revision.</summary>
    /// <param name="key">The segment key.</param>
    /// <returns><see langword="true"/> when the segment existed and was removed.</returns>
    /// <exception cref="FlagValidationException">A flag or segment uses it; nothing changed.</exception>
    public bool RemoveSegment(string key)
    {
        var removed = false;
        Change(null, segments => removed = segments.Remove(key), null);
        return removed;
    }

    /// <summary>Sets or clears a flag's kill switch, as one revision. A killed flag serves its off variant (reason KILLED).</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="killed">Whether the flag is killed.</param>
    /// <exception cref="KeyNotFoundException">No flag has that key.</exception>
    public void SetKilled(string key, bool killed = true)
    {
        Change(flags =>
        {
            if (!flags.TryGetValue(key, out var flag))
            {
                throw new KeyNotFoundException($"No flag '{key}'.");
            }

            var copy = FlagJson.Clone(flag);
            copy.Killed = killed;
            copy.Kills = killed ? copy.Kills : null;
            flags[key] = copy;
        }, null, null);
    }

    /// <summary>
    /// Kills (or revives) every flag that carries <paramref name="tag"/>, all in one revision: no evaluation sees some
    /// of them killed and others not. This is what the flag server does for a kill by tag.
    /// </summary>
    /// <param name="tag">The tag, e.g. <c>wallet</c>.</param>
    /// <param name="killed">Whether the tagged flags are killed.</param>
    /// <returns>The keys of the flags changed, in ordinal order.</returns>
    public IReadOnlyList<string> KillTag(string tag, bool killed = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        var changed = new List<string>();
        Change(flags =>
        {
            foreach (var flag in flags.Values.ToList())
            {
                if (flag.Tags?.Contains(tag, StringComparer.Ordinal) == true && KillSources.IsKilled(flag) != killed)
                {
                    var copy = FlagJson.Clone(flag);
                    copy.Killed = killed;
                    copy.Kills = killed ? copy.Kills : null;
                    flags[flag.Key] = copy;
                    changed.Add(flag.Key);
                }
            }
        }, null, null);
        return changed;
    }

    /// <summary>Reports a status to the client, to test how code behaves when flags are stale or failed.</summary>
    /// <param name="status">The status.</param>
    /// <param name="detail">A detail for logs.</param>
    internal void ReportStatus(FlagClientStatus status, string? detail = null)
    {
        lock (_gate)
        {
            _sink?.SetStatus(status, detail);
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _sink = null;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override Task StartAsync(FlagSnapshotSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_gate)
        {
            _sink = sink;
            sink.Publish(_snapshot);
            sink.SetStatus(FlagClientStatus.Ready, "in-memory flags");
        }

        return Task.CompletedTask;
    }

    private void Change(
        Action<SortedDictionary<string, FlagDocument>>? changeFlags,
        Action<SortedDictionary<string, SegmentDocument>>? changeSegments,
        FlagFile? replacement,
        string? focusKey = null)
    {
        lock (_gate)
        {
            // Work on copies of the maps: a change that is refused must leave the source as it was.
            var flags = new SortedDictionary<string, FlagDocument>(_flags, StringComparer.Ordinal);
            var segments = new SortedDictionary<string, SegmentDocument>(_segments, StringComparer.Ordinal);
            changeFlags?.Invoke(flags);
            changeSegments?.Invoke(segments);
            // A replacement file is validated as given, so that duplicate keys in it are reported.
            var file = replacement ?? new FlagFile { Flags = [.. flags.Values], Segments = [.. segments.Values] };
            var next = SnapshotBuilder.Build(file, _snapshot.Revision + 1, focusKey);
            _flags.Clear();
            foreach (var flag in file.Flags)
            {
                _flags[flag.Key] = flag;
            }

            _segments.Clear();
            foreach (var segment in file.Segments)
            {
                _segments[segment.Key] = segment;
            }

            _snapshot = next;
            _sink?.Publish(next);
        }
    }
}
