namespace FlagKit.Sources.Caching;

/// <summary>
/// Writes the disk cache behind the sync loop: applying a batch only hands its snapshot over (O(1)); one background
/// write at a time takes the latest snapshot handed over, so a burst of changes costs one or two writes, not one each.
/// </summary>
/// <remarks>
/// Crash safety is <see cref="DiskSnapshotCache.Write"/>'s (temp file, flush, rename): a process that dies with a write
/// pending or half done leaves the previous complete cache file. Thread safety: <see cref="Schedule"/> and
/// <see cref="FlushAsync"/> may be called from any thread.
/// </remarks>
internal sealed class DiskCacheWriter
{
    private readonly Action<FlagSnapshot> _write;
    private readonly Lock _lock = new();
    private FlagSnapshot? _pending;
    private Task _drain = Task.CompletedTask;
    private bool _running;

    /// <param name="write">Writes one snapshot (and handles its own errors); runs on a pool thread, one call at a time.</param>
    public DiskCacheWriter(Action<FlagSnapshot> write) => _write = write;

    /// <summary>Hands a snapshot over to be written; replaces one handed over before that was not written yet.</summary>
    /// <param name="snapshot">The snapshot just applied.</param>
    public void Schedule(FlagSnapshot snapshot)
    {
        lock (_lock)
        {
            _pending = snapshot;
            if (_running)
            {
                return;
            }

            _running = true;
            _drain = Task.Run(Drain);
        }
    }

    /// <summary>Completes when every snapshot handed over so far is written (or its write failed).</summary>
    /// <returns>The task.</returns>
    public Task FlushAsync()
    {
        lock (_lock)
        {
            return _drain;
        }
    }

    private void Drain()
    {
        while (true)
        {
            FlagSnapshot next;
            lock (_lock)
            {
                if (_pending is null)
                {
                    _running = false;
                    return;
                }

                next = _pending;
                _pending = null;
            }

            _write(next);
        }
    }
}
