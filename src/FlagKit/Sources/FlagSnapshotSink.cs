using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Modes;

namespace FlagKit.Sources;

/// <summary>
/// What a <see cref="FlagSource"/> delivers into: its client's current snapshot. A source publishes whole flag files
/// (compiled and validated by FlagKit, exactly as a flags file is) and reports how current they are.
/// </summary>
/// <remarks>
/// Handed to <see cref="FlagSource.StartAsync"/> by the <see cref="FlagClient"/>; a source never sees the client
/// itself. Thread safe, but publish one change at a time: each publish takes the next revision.
/// </remarks>
public sealed class FlagSnapshotSink
{
    private readonly ISnapshotSink _target;

    internal FlagSnapshotSink(ISnapshotSink target)
    {
        _target = target;
    }

    /// <summary>The last good snapshot (<see cref="FlagSnapshot.Empty"/>, revision 0, before the first one arrives).</summary>
    public FlagSnapshot Current => _target.Current;

    /// <summary>
    /// Compiles <paramref name="file"/> with FlagKit's own compiler and, when every flag and segment is valid, makes it
    /// the snapshot every evaluation reads, in one step (the client's <c>FlagsChanged</c> follows). The file is
    /// copied: later edits of it change nothing.
    /// </summary>
    /// <param name="file">Every flag and segment the client should serve from now on.</param>
    /// <param name="revision">The new snapshot's revision; when <see langword="null"/>, one more than <see cref="Current"/>'s.</param>
    /// <returns>The snapshot published.</returns>
    /// <exception cref="FlagValidationException">The file is invalid (every error is listed with its JSON path); nothing was published and the last good snapshot keeps serving.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="revision"/> is not greater than <see cref="Current"/>'s.</exception>
    public FlagSnapshot Publish(FlagFile file, long? revision = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var current = _target.Current.Revision;
        var next = revision ?? current + 1;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(next, current, nameof(revision));
        var snapshot = SnapshotBuilder.Build(FlagJson.Clone(file), next);
        _target.Publish(snapshot);
        return snapshot;
    }

    /// <summary>
    /// Reports the source's health with a human-readable reason (logged; read by <see cref="FlagClient.StatusDetail"/>
    /// and the health check). Report <see cref="FlagClientStatus.Stale"/> while the last good flags serve on because
    /// newer ones cannot be had, and <see cref="FlagClientStatus.Ready"/> once they are current again.
    /// </summary>
    /// <param name="status">The status.</param>
    /// <param name="detail">Why, for logs and health checks; none when <see langword="null"/>.</param>
    public void SetStatus(FlagClientStatus status, string? detail = null) => _target.SetStatus(status, detail);

    /// <summary>Publishes a snapshot the source built itself (the built-in sources' path: no second compile).</summary>
    internal void Publish(FlagSnapshot next) => _target.Publish(next);

    /// <summary>The operating modes served now (<see cref="ModeTable.Empty"/> when the target keeps none).</summary>
    internal ModeTable CurrentModes => _target is IModeSink modes ? modes.CurrentModes : ModeTable.Empty;

    /// <summary>Publishes compiled operating modes (ignored by a target that keeps none).</summary>
    internal void PublishModes(ModeTable next)
    {
        if (_target is IModeSink modes)
        {
            modes.PublishModes(next);
        }
    }
}
