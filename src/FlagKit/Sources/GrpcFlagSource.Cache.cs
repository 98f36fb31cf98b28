using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Sources.Caching;

namespace FlagKit.Sources;

/// <summary>The disk cache: loaded at start, served when the server is unreachable or slow, written after each batch.</summary>
public sealed partial class GrpcFlagSource
{
    private DiskCacheWriter? _cacheWriter;
    /// <summary>Reads and compiles the disk cache at start; what it holds becomes the revision to resume from.</summary>
    private void LoadCache()
    {
        if (_cache is null)
        {
            _cacheProblem = "the disk cache is off (no CacheDirectory)";
            return;
        }

        DiskSnapshotCacheLoad load = _cache.Load();
        if (!load.IsUsable)
        {
            _cacheProblem = load.Problem;
            Diagnostics.CacheProblem = load.Problem;
            if (load.IsCorrupt)
            {
                GrpcFlagSourceLog.CacheIgnored(_log, load.Problem!);
            }

            return;
        }

        try
        {
            var failures = new List<Compilation.DocumentFailure>();
            FlagSnapshot snapshot = SnapshotBuilder.BuildLenient(load.File!, load.Header!.Revision, null, failures);
            foreach (Compilation.DocumentFailure failure in failures)
            {
                GrpcFlagSourceLog.DocumentRejected(_log, failure.IsSegment ? "segment" : "flag", failure.Key, load.Header.Revision, failure.Reason);
            }

            lock (_gate)
            {
                _cachedSnapshot = snapshot;
                _cachedHeader = load.Header;
                // Resume from the cache: if the server still has the changes since, it sends only those.
                _held = snapshot;
                _resumeRevision = load.Header.Revision;
            }
        }
        catch (Exception e) when (e is FlagValidationException or JsonException or ArgumentException)
        {
            _cacheProblem = $"disk cache '{_cache.FilePath}' ignored: it does not compile ({e.Message})";
            Diagnostics.CacheProblem = _cacheProblem;
            GrpcFlagSourceLog.CacheIgnored(_log, _cacheProblem);
        }
    }

    /// <summary>At <see cref="GrpcFlagSourceOptions.StartTimeout"/>: serves the cache if nothing was served yet, or reports that there is nothing to serve.</summary>
    private async Task ServeCacheAfterStartTimeoutAsync(FlagSnapshotSink sink, CancellationToken ct)
    {
        await Task.Delay(_options.StartTimeout, _time, ct).ConfigureAwait(false);
        string why;
        lock (_gate)
        {
            why = _lastError is null ? $"the server at {_serverUrl} has not delivered a snapshot within {_options.StartTimeout}" : $"the server at {_serverUrl} is unreachable ({_lastError})";
        }

        if (ServeCache(sink, why))
        {
            return;
        }

        FlagClientStatus status;
        string reason;
        lock (_gate)
        {
            if (_servedFromServer || _servingCache)
            {
                return;
            }

            status = _status ?? FlagClientStatus.Starting;
            reason = _status == FlagClientStatus.Failed ? StatusReasonOrEmpty() : $"{why}; nothing to serve ({_cacheProblem}); retrying";
        }

        SetStatus(sink, status, reason, force: true);
        _started.TrySetResult();
    }

    /// <summary>
    /// Serves the disk cache (status <c>Stale</c>, or <c>Failed</c> when the server refused this SDK) and completes the
    /// start, unless nothing usable is cached or something was already served (the cache, or a batch from the server).
    /// </summary>
    /// <param name="sink">The client.</param>
    /// <param name="why">Why the cache is served, for the status detail.</param>
    /// <returns>Whether the cache was served by this call.</returns>
    private bool ServeCache(FlagSnapshotSink sink, string why)
    {
        lock (_gate)
        {
            if (_servedFromServer || _servingCache || _cachedSnapshot is null)
            {
                return false;
            }

            string cache = $"serving the disk cache (revision {_cachedHeader!.Revision}, written {_cachedHeader.WrittenAt:u})";
            (FlagClientStatus status, string reason) = _status == FlagClientStatus.Failed
                ? (FlagClientStatus.Failed, $"{StatusReasonOrEmpty()} Meanwhile {cache}.")
                : (FlagClientStatus.Stale, $"{cache} because {why}; retrying");
            // Status first: the client treats a publish while Starting as Ready, and a cache is not Ready.
            SetStatus(sink, status, reason, force: true);
            _servingCache = true;
            sink.Publish(_cachedSnapshot);
            Diagnostics.ServedCache = true;
            GrpcFlagSourceLog.ServingCache(_log, _cachedHeader.Revision, _cache!.FilePath, why);
            _started.TrySetResult();
            return true;
        }
    }

    /// <summary>
    /// Hands the snapshot just applied to the disk cache's writer: the file is written behind the sync loop (serializing
    /// every document is O(flags)), coalesced with the batches that follow while a write runs.
    /// </summary>
    private void WriteCache(FlagSnapshot snapshot)
    {
        if (_cache is null)
        {
            return;
        }

        DiskCacheWriter writer;
        lock (_gate)
        {
            writer = _cacheWriter ??= new DiskCacheWriter(WriteCacheNow);
        }

        writer.Schedule(snapshot);
    }

    /// <summary>Waits for the disk cache writes handed over so far (at dispose: the cache holds the last batch applied).</summary>
    private Task FlushCacheAsync()
    {
        lock (_gate)
        {
            return _cacheWriter?.FlushAsync() ?? Task.CompletedTask;
        }
    }

    /// <summary>Writes a snapshot to the disk cache; a failure is logged and the old file stays.</summary>
    private void WriteCacheNow(FlagSnapshot snapshot)
    {
        try
        {
            _cache!.Write(snapshot.ToFile(), snapshot.Revision, snapshot.ContentHash);
            Diagnostics.CacheWrites++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            GrpcFlagSourceLog.CacheWriteFailed(_log, _cache!.FilePath, e);
        }
    }
}
