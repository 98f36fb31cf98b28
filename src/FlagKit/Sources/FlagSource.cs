namespace FlagKit.Sources;

/// <summary>
/// Where a <see cref="FlagClient"/> gets its flags: a file, memory (tests), the flag server over gRPC, or a source of
/// your own (derive from this class: see <see cref="StartAsync"/>).
/// </summary>
/// <remarks>
/// A source builds each new snapshot aside and hands it over whole; a bad update is reported and the last
/// good snapshot keeps serving. Sources are created by the user and owned (started, disposed) by the client
/// they are given to.
/// </remarks>
public abstract class FlagSource : IAsyncDisposable, IDisposable
{
    /// <summary>Creates a source. A derived source starts doing work in <see cref="StartAsync"/>, not here.</summary>
    protected FlagSource()
    {
    }

    /// <summary>
    /// Starts delivering flags into <paramref name="sink"/>: publish a <see cref="Documents.FlagFile"/> with
    /// <see cref="FlagSnapshotSink.Publish(Documents.FlagFile, long?)"/> and report health with
    /// <see cref="FlagSnapshotSink.SetStatus"/>. Complete the task when the first flags are published, or when the source
    /// gives up waiting for them (the client then serves what it has); keep working in the background until disposed.
    /// </summary>
    /// <param name="sink">The client's sink; keep it to publish later changes. Called once per source.</param>
    /// <param name="cancellationToken">Not cancelled by the client today; honour it if given.</param>
    /// <returns>A task that completes when the first flags are published or the source has given up waiting.</returns>
    /// <remarks>
    /// A task that faults sets the client's status to <see cref="FlagClientStatus.Failed"/> with the exception's
    /// message. Publish one change at a time (the built-in sources hold a lock around each).
    /// </remarks>
    public abstract Task StartAsync(FlagSnapshotSink sink, CancellationToken cancellationToken);

    /// <summary>Stops the source and releases what it holds (files watched, connections).</summary>
    /// <returns>A task that completes when the source has stopped.</returns>
    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// Stops the source synchronously (for a container disposed with <c>Dispose()</c>): runs
    /// <see cref="DisposeAsync"/> and blocks until it completes.
    /// </summary>
    public void Dispose()
    {
        var pending = DisposeAsync();
        if (!pending.IsCompletedSuccessfully)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }

        GC.SuppressFinalize(this);
    }
}
