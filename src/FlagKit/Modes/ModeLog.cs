using FlagKit.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FlagKit.Modes;

/// <summary>The log lines about operating modes (source-generated, no allocation when disabled).</summary>
internal static partial class ModeLog
{
    [LoggerMessage(FlagKitLogEvents.ModesChanged, LogLevel.Information, "FlagKit operating modes changed to version {Version} ({Count} switches and windows), was {PreviousVersion}", EventName = nameof(FlagKitLogEvents.ModesChanged))]
    public static partial void ModesChanged(ILogger logger, long version, int count, long previousVersion);

    [LoggerMessage(FlagKitLogEvents.ModesRefused, LogLevel.Warning, "FlagKit refused the operating modes at version {Version}; the last good modes (version {KeptVersion}) serve on: {Reason}", EventName = nameof(FlagKitLogEvents.ModesRefused))]
    public static partial void ModesRefused(ILogger logger, long version, long keptVersion, string reason);
}
