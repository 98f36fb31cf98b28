using Microsoft.Extensions.Logging;

namespace FlagKit.Sources;

/// <summary>Options of a <see cref="FileFlagSource"/>.</summary>
/// <remarks>Read when the source is created; later changes have no effect on it.</remarks>
public sealed class FileFlagSourceOptions
{
    /// <summary>The clock for debouncing and polling. <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the source logs loads and refusals; nothing is logged when <see langword="null"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// How long to wait after a change notification before reading the file, so that an editor's several writes are
    /// read once, whole. 100 ms by default.
    /// </summary>
    public TimeSpan DebounceDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How often to check the file's size and time stamp as well, for file systems whose change notifications are
    /// unreliable (network shares, some container mounts). 2 seconds by default; <see langword="null"/> turns polling off.
    /// </summary>
    public TimeSpan? PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether to watch the file at all. <see langword="true"/> by default; <see langword="false"/> loads it once.</summary>
    public bool ReloadOnChange { get; set; } = true;
}
