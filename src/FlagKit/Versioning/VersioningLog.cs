using FlagKit.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FlagKit.Versioning;

/// <summary>The log messages of <see cref="ContractPolicy"/> and <see cref="Migration"/> (source-generated; ids in <see cref="FlagKitLogEvents"/>).</summary>
internal static partial class VersioningLog
{
    [LoggerMessage(FlagKitLogEvents.PolicyNotARange, LogLevel.Warning, "Contract policy flag {FlagKey} variant {Variant} is not a version range, so no policy applies to it: {Error}", EventName = nameof(FlagKitLogEvents.PolicyNotARange))]
    public static partial void PolicyNotARange(ILogger logger, string flagKey, string? variant, string? error);

    [LoggerMessage(FlagKitLogEvents.MigrationStageInvalid, LogLevel.Warning, "Migration {Migration}: flag {FlagKey} served '{Value}', which is not a stage (off, dual-write, shadow, live, rampdown, complete); using {Fallback}", EventName = nameof(FlagKitLogEvents.MigrationStageInvalid))]
    public static partial void MigrationStageInvalid(ILogger logger, string migration, string flagKey, string value, string fallback);

    [LoggerMessage(FlagKitLogEvents.MigrationReadFailed, LogLevel.Warning, "Migration {Migration}: the {Side} read failed (not served, not surfaced)", EventName = nameof(FlagKitLogEvents.MigrationReadFailed))]
    public static partial void MigrationReadFailed(ILogger logger, Exception exception, string migration, string side);

    [LoggerMessage(FlagKitLogEvents.MigrationWriteFailed, LogLevel.Warning, "Migration {Migration}: the {Side} write failed after the authoritative write succeeded (not surfaced)", EventName = nameof(FlagKitLogEvents.MigrationWriteFailed))]
    public static partial void MigrationWriteFailed(ILogger logger, Exception exception, string migration, string side);

    [LoggerMessage(FlagKitLogEvents.MigrationComparerThrew, LogLevel.Warning, "Migration {Migration}: the comparer threw; counted as a mismatch", EventName = nameof(FlagKitLogEvents.MigrationComparerThrew))]
    public static partial void MigrationComparerThrew(ILogger logger, Exception exception, string migration);

    [LoggerMessage(FlagKitLogEvents.MigrationMismatch, LogLevel.Warning, "Migration {Migration}: old and new reads differ in stage {Stage}", EventName = nameof(FlagKitLogEvents.MigrationMismatch))]
    public static partial void MigrationMismatch(ILogger logger, string migration, string stage);

    [LoggerMessage(FlagKitLogEvents.MigrationCallbackThrew, LogLevel.Warning, "Migration {Migration}: the mismatch callback threw", EventName = nameof(FlagKitLogEvents.MigrationCallbackThrew))]
    public static partial void MigrationCallbackThrew(ILogger logger, Exception exception, string migration);
}
