using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlagKit.Versioning;

/// <summary>Options of a <see cref="Migration"/>.</summary>
public sealed class MigrationOptions
{
    /// <summary>The share of two-sided reads whose results are compared, 0 to 1. 1 (all) by default.</summary>
    public double CompareSampleRatio { get; set; } = 1.0;

    /// <summary>The stage used when the migration flag is missing or its value names no stage. <see cref="MigrationStage.Off"/> by default.</summary>
    public MigrationStage FallbackStage { get; set; } = MigrationStage.Off;

    /// <summary>The clock for latencies. <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The random source for sampling; <see cref="Random.Shared"/> when null.</summary>
    public Random? Random { get; set; }

    /// <summary>Called for each sampled mismatch (old result, new result). Exceptions it throws are logged and ignored.</summary>
    public Action<MigrationMismatch>? OnMismatch { get; set; }

    /// <summary>Where failures of the side not served, mismatches and bad flag values are logged; nowhere when null.</summary>
    public ILogger? Logger { get; set; }
}
