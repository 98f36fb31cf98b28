using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlagKit.Versioning;

/// <summary>A sampled read whose old and new results differed.</summary>
/// <param name="Migration">The migration's name.</param>
/// <param name="Stage">The stage the read ran in.</param>
/// <param name="Old">The old path's result.</param>
/// <param name="New">The new path's result.</param>
public sealed record MigrationMismatch(string Migration, MigrationStage Stage, object? Old, object? New);
