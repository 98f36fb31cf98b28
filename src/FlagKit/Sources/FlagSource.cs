namespace FlagKit.Sources;

/// <summary>
/// Where a <see cref="FlagClient"/> gets its flags: a file, memory (tests), or the flag server over gRPC.
/// </summary>
/// <remarks>
/// A source builds each new snapshot aside and hands it over whole; a bad update is reported and the last
/// good snapshot keeps serving. Sources are created by the user and owned (started, disposed) by the client
/// they are given to.
/// </remarks>
public abstract class FlagSource : IAsyncDisposable
{
    private protected FlagSource()
    {
    }

    /// <summary>
    /// Starts delivering snapshots into <paramref name="sink"/>. Completes when the source has delivered its
    /// first snapshot or has given up waiting for one (the client then serves what it has, e.g. a disk cache).
    /// Keeps working in the background until disposed.
    /// </summary>
    internal abstract Task StartAsync(ISnapshotSink sink, CancellationToken cancellationToken);

    /// <summary>Stops the source and releases what it holds (files watched, connections).</summary>
    /// <returns>A task that completes when the source has stopped.</returns>
    public abstract ValueTask DisposeAsync();
}
