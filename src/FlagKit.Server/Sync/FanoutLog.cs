using FlagKit.Server.Diagnostics;

namespace FlagKit.Server.Sync;

/// <summary>The fan-out log: one line per published revision, once its last subscriber has it written.</summary>
internal static partial class FanoutLog
{
    /// <summary>The log category; set it to Information to have fan-outs logged (the load harness does).</summary>
    public const string Category = "FlagKit.Server.Sync.Fanout";

    /// <summary>A revision was written to every subscriber it was queued to (those that ended meanwhile excepted).</summary>
    [LoggerMessage(ServerLogEvents.FanoutCompleted, LogLevel.Information, "Fan-out of revision {Revision} in '{Environment}': {Streams} streams written; published {Published}, last written {LastWritten}; collections meanwhile gen0 {Gen0}, gen1 {Gen1}, gen2 {Gen2}, paused {PausedMs} ms", EventName = nameof(ServerLogEvents.FanoutCompleted))]
    public static partial void Completed(ILogger logger, long revision, string environment, int streams, string published, string lastWritten, int gen0, int gen1, int gen2, double pausedMs);
}
