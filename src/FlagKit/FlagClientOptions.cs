using Microsoft.Extensions.Logging;

namespace FlagKit;

/// <summary>Options of a <see cref="FlagClient"/>.</summary>
/// <remarks>Read when the client is created; later changes have no effect on it.</remarks>
public sealed partial class FlagClientOptions
{
    /// <summary>The clock used for the client's timeouts. <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the client and its source log; nothing is logged when <see langword="null"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// How long <see cref="FlagClient.StartAsync"/> waits for the source's first snapshot before it returns anyway
    /// (the client then serves defaults, or a disk cache, until the snapshot arrives). 10 seconds by default.
    /// </summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
