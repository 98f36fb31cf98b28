using System.Security.Cryptography;
using FlagKit.Compilation;
using FlagKit.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlagKit.Sources;

/// <summary>
/// Flags from a JSON flags file (<c>{ "schema": 1, "flags": [...], "segments": [...] }</c>), reloaded when the file
/// changes. A bad edit is refused whole and reported (log, <see cref="FileRefused"/>, client status
/// <see cref="FlagClientStatus.Stale"/>); the last good snapshot keeps serving until the file is fixed.
/// </summary>
/// <remarks>
/// Each load that changes the file's content is one new revision (1, 2, ...). Change notifications are debounced so
/// that an editor's several writes are read once; the file is also polled (see <see cref="FileFlagSourceOptions.PollInterval"/>).
/// Thread safe; loads run one at a time. Give the source to one <see cref="FlagClient"/>.
/// </remarks>
public sealed class FileFlagSource : FlagSource
{
    private const int MaxReadAttempts = 5;

    private readonly FileFlagSourceOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private FlagSnapshotSink? _sink;
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;
    private ITimer? _poll;
    // The content last refused: the watcher and the poll often both see one bad edit, and it is reported once.
    private byte[]? _refusedHash;
    private byte[]? _loadedHash;
    private (DateTime WriteTime, long Length) _stamp;
    private long _revision;
    private int _readAttempts;
    private bool _disposed;

    /// <summary>Creates a source for the flags file at <paramref name="path"/>.</summary>
    /// <param name="path">The flags file (relative paths are resolved against the current directory now).</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public FileFlagSource(string path, FileFlagSourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _options = options ?? new FileFlagSourceOptions();
        _logger = (ILogger?)_options.LoggerFactory?.CreateLogger("FlagKit.FileFlagSource") ?? NullLogger.Instance;
    }

    /// <summary>Raised after the file was loaded and its snapshot published.</summary>
    public event EventHandler<FlagFileEventArgs>? FileLoaded;

    /// <summary>Raised when the file was refused (invalid, missing, unreadable); the last good snapshot keeps serving.</summary>
    public event EventHandler<FlagFileEventArgs>? FileRefused;

    /// <summary>The flags file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true;
            _sink = null;
            _watcher?.Dispose();
            _debounce?.Dispose();
            _poll?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override Task StartAsync(FlagSnapshotSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _sink = sink;
            _revision = sink.Current.Revision;
            if (_options.ReloadOnChange)
            {
                _debounce = _options.TimeProvider.CreateTimer(_ => Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                Watch();
                if (_options.PollInterval is { } interval)
                {
                    _poll = _options.TimeProvider.CreateTimer(_ => Poll(), null, interval, interval);
                }
            }

            Load();
        }

        return Task.CompletedTask;
    }

    private void Watch()
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        if (!Directory.Exists(directory))
        {
            return;
        }

        // Watch the directory, not the file: editors and deploy tools often replace a file by renaming a new one
        // over it, which a watch on the old file would miss.
        var watcher = new FileSystemWatcher(directory, System.IO.Path.GetFileName(Path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += (_, _) => ScheduleReload();
        watcher.Created += (_, _) => ScheduleReload();
        watcher.Deleted += (_, _) => ScheduleReload();
        watcher.Renamed += (_, _) => ScheduleReload();
        watcher.Error += (_, _) => ScheduleReload();
        watcher.EnableRaisingEvents = true;
        _watcher = watcher;
    }

    private void ScheduleReload()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _debounce?.Change(_options.DebounceDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Poll()
    {
        lock (_gate)
        {
            if (!_disposed && Stamp() != _stamp)
            {
                Load();
            }
        }
    }

    private void Reload()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                Load();
            }
        }
    }

    private (DateTime, long) Stamp()
    {
        try
        {
            var info = new FileInfo(Path);
            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
        }
        catch (IOException)
        {
            return default;
        }
        catch (UnauthorizedAccessException)
        {
            return default;
        }
    }

    // Called under _gate.
    private void Load()
    {
        var sink = _sink;
        if (sink is null)
        {
            return;
        }

        _stamp = Stamp();
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path);
            _readAttempts = 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Often a writer still holds the file: try again shortly, a few times, before reporting.
            if (ex is not FileNotFoundException and not DirectoryNotFoundException && ++_readAttempts < MaxReadAttempts && _debounce is not null)
            {
                _debounce.Change(_options.DebounceDelay, Timeout.InfiniteTimeSpan);
                return;
            }

            _readAttempts = 0;
            Refuse(sink, ex);
            return;
        }

        var hash = SHA256.HashData(bytes);
        if (_loadedHash is not null && hash.AsSpan().SequenceEqual(_loadedHash) && sink.Current.Revision == _revision)
        {
            // Touched but not changed: nothing to publish. A previous refusal is over, though.
            _refusedHash = null;
            sink.SetStatus(FlagClientStatus.Ready, $"flags file {Path} unchanged");
            return;
        }

        if (_refusedHash is not null && hash.AsSpan().SequenceEqual(_refusedHash))
        {
            // The same bad content again (the watcher and the poll both saw the edit): already reported.
            return;
        }

        FlagSnapshot snapshot;
        try
        {
            var file = FlagJson.ParseFile(bytes, Path);
            snapshot = SnapshotBuilder.Build(file, _revision + 1);
        }
        catch (FlagValidationException ex)
        {
            _refusedHash = hash;
            Refuse(sink, ex);
            return;
        }

        _refusedHash = null;
        _revision = snapshot.Revision;
        _loadedHash = hash;
        sink.Publish(snapshot);
        sink.SetStatus(FlagClientStatus.Ready, $"flags file {Path} loaded as revision {snapshot.Revision}");
        FlagClientLog.FileLoaded(_logger, Path, snapshot.Revision, snapshot.FlagCount);
        Raise(FileLoaded, new FlagFileEventArgs(Path, snapshot, null));
    }

    private void Refuse(FlagSnapshotSink sink, Exception error)
    {
        var detail = error is FlagValidationException validation
            ? string.Join("; ", validation.Errors)
            : $"cannot read {Path}: {error.Message}";
        FlagClientLog.FileRefused(_logger, Path, detail);
        sink.SetStatus(_loadedHash is null ? FlagClientStatus.Failed : FlagClientStatus.Stale, $"flags file {Path} refused: {detail}");
        Raise(FileRefused, new FlagFileEventArgs(Path, null, error));
    }

    private void Raise(EventHandler<FlagFileEventArgs>? handler, FlagFileEventArgs args)
    {
        if (handler is null)
        {
            return;
        }

        foreach (var single in handler.GetInvocationList())
        {
            try
            {
                ((EventHandler<FlagFileEventArgs>)single)(this, args);
            }
            catch (Exception ex)
            {
                FlagClientLog.HandlerFailed(_logger, ex, single.Method.Name);
            }
        }
    }
}
