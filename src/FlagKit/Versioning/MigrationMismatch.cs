using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlagKit.Versioning;

/// <summary>A sampled read whose old and new results differed.</summary>
/// <remarks>Immutable; <see cref="Old"/> and <see cref="New"/> are the results as the paths returned them.</remarks>
public sealed class MigrationMismatch
{
    internal MigrationMismatch(string migration, MigrationStage stage, object? old, object? @new)
    {
        Migration = migration;
        Stage = stage;
        Old = old;
        New = @new;
    }

    /// <summary>The migration's name.</summary>
    public string Migration { get; }

    /// <summary>The stage the read ran in.</summary>
    public MigrationStage Stage { get; }

    /// <summary>The old path's result.</summary>
    public object? Old { get; }

    /// <summary>The new path's result.</summary>
    public object? New { get; }

    /// <summary>Formats the mismatch for a log line.</summary>
    /// <returns><c>{Migration} ({Stage}): old {Old}, new {New}</c>.</returns>
    public override string ToString() => $"{Migration} ({Stage}): old {Old}, new {New}";
}
