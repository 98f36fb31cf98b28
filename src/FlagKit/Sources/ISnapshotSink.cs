namespace FlagKit.Sources;

/// <summary>
/// The client's current-snapshot cell, behind the public <see cref="FlagSnapshotSink"/> a <see cref="FlagSource"/>
/// delivers into. Implemented by <see cref="FlagClient"/>; sources never see the client itself.
/// </summary>
internal interface ISnapshotSink
{
    /// <summary>The last good snapshot (an empty snapshot at revision 0 before the first one arrives).</summary>
    FlagSnapshot Current { get; }

    /// <summary>
    /// Atomically makes <paramref name="next"/> the snapshot every evaluation reads, and raises the client's
    /// change event with the keys whose result could have changed. Never called with a partial batch.
    /// </summary>
    void Publish(FlagSnapshot next);

    /// <summary>Reports the source's health (ready, stale, failed) with a human-readable detail.</summary>
    void SetStatus(FlagClientStatus status, string? detail);
}
