namespace FlagKit.Sources;

/// <summary>Raised by <see cref="FileFlagSource"/> after it read the flags file: what it loaded, or why it refused it.</summary>
/// <remarks>Immutable.</remarks>
public sealed class FlagFileEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="path">The file.</param>
    /// <param name="snapshot">The snapshot loaded, or <see langword="null"/> when the file was refused.</param>
    /// <param name="error">Why the file was refused (a <see cref="FlagValidationException"/> or an I/O error), or <see langword="null"/>.</param>
    internal FlagFileEventArgs(string path, FlagSnapshot? snapshot, Exception? error)
    {
        Path = path;
        Snapshot = snapshot;
        Error = error;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The snapshot now serving, when the file was loaded.</summary>
    public FlagSnapshot? Snapshot { get; }

    /// <summary>Why the file was refused: a <see cref="FlagValidationException"/> listing every error, or an I/O error.</summary>
    public Exception? Error { get; }

    /// <summary>Whether the file was loaded.</summary>
    public bool Loaded => Error is null;
}
