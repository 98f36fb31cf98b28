using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Modes;
using FlagKit.Protocol.V1;
using FlagKit.Sources.Caching;

namespace FlagKit.Sources;

/// <summary>
/// The disk cache: loaded at start, served when the server is unreachable or slow, written after each batch and after
/// each change of the operating modes (the file holds both, so a client started with the server away serves the
/// cached flags and the cached modes).
/// </summary>
public sealed partial class GrpcFlagSource
{
    private DiskCacheWriter? _cacheWriter;

    // Guarded by _gate: the modes the cache file gets (the last the server sent and this SDK applied, or the cached
    // ones until then), the cached modes compiled at start, and whether a server has delivered modes since start.
    private ModeState? _modeState;
    private ModeTable? _cachedModes;
    private bool _modesFromServer;

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

            LoadCachedModes(load);
        }
        catch (Exception e) when (e is FlagValidationException or JsonException or ArgumentException)
        {
            _cacheProblem = $"disk cache '{_cache.FilePath}' ignored: it does not compile ({e.Message})";
            Diagnostics.CacheProblem = _cacheProblem;
            GrpcFlagSourceLog.CacheIgnored(_log, _cacheProblem);
        }
    }

    /// <summary>Compiles the cache file's operating modes; a problem with them is logged and the flags serve without them.</summary>
    private void LoadCachedModes(DiskSnapshotCacheLoad load)
    {
        if (load.ModesProblem is { } problem)
        {
            GrpcFlagSourceLog.CacheIgnored(_log, problem);
            return;
        }

        if (load.Modes is not { } modes)
        {
            return;
        }

        try
        {
            ModeTable table = ModeCompiler.Compile(modes.Json.Span, modes.Version);
            lock (_gate)
            {
                _cachedModes = table;
                _modeState = modes;
            }
        }
        catch (FlagValidationException e)
        {
            GrpcFlagSourceLog.CacheIgnored(_log, $"disk cache '{_cache!.FilePath}': its operating modes (version {modes.Version}) are not valid ({e.Message}); its flags are served without them");
        }
    }

    /// <summary>
    /// Applies operating modes from the server (Welcome or a mode message) and, when they changed, hands the snapshot
    /// held to the cache writer so that the file carries them (not before a batch from the server was applied: that
    /// batch's write carries them).
    /// </summary>
    private void ApplyModes(FlagSnapshotSink sink, ModeState state, bool atWelcome)
    {
        lock (_gate)
        {
            _modesFromServer = true;
        }

        if (!ModeReceiver.Apply(sink, state, atWelcome, _log))
        {
            return;
        }

        FlagSnapshot? held;
        lock (_gate)
        {
            _modeState = state;
            held = _servedFromServer ? _held : null;
        }

        if (held is not null)
        {
            WriteCache(held);
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
            if (_cachedModes is { } modes && !_modesFromServer)
            {
                // Before the flags and the start's end: whoever reads the cached flags reads the cached modes too.
                sink.PublishModes(modes);
            }

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

    /// <summary>Writes a snapshot and the modes held now to the disk cache; a failure is logged and the old file stays.</summary>
    private void WriteCacheNow(FlagSnapshot snapshot)
    {
        ModeState? modes;
        lock (_gate)
        {
            modes = _modeState;
        }

        try
        {
            _cache!.Write(snapshot.ToFile(), snapshot.Revision, snapshot.ContentHash, modes);
            Diagnostics.CacheWrites++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            GrpcFlagSourceLog.CacheWriteFailed(_log, _cache!.FilePath, e);
        }
    }
}
