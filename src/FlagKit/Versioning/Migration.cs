using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlagKit.Versioning;

/// <summary>
/// Runs reads and writes against an old and a new path as the stage of a migration flag says, so a schema or store
/// change goes expand → migrate → contract with dual writes and a shadow comparison before anyone trusts the new path.
/// </summary>
/// <remarks>
/// <para>
/// The stage comes from a string flag (values in <see cref="MigrationStages"/>), evaluated per call context, so a
/// migration is targeted and rolled out like any flag (shadow for 5 % of accounts, then everyone), and killed like
/// one (its off variant). See <see cref="MigrationStage"/> for what each stage reads and writes.
/// </para>
/// <para>
/// Writes go to the authoritative side first (old up to <see cref="MigrationStage.Shadow"/>, new from
/// <see cref="MigrationStage.Live"/>) and to the other side only if that succeeded; the caller gets the
/// authoritative result or its exception. Two-sided reads run both paths at once and return (or throw) the served
/// side's outcome; a sampled share of them is compared with the caller's comparer. A failure of the side not served
/// (or not authoritative) never reaches the caller: it is counted and logged.
/// </para>
/// <para>
/// Telemetry (meter and activity source <c>FlagKit.Versioning</c>, with <see cref="VersionTags.Current"/>):
/// <c>flagkit.migration.duration</c> (ms) and <c>flagkit.migration.errors</c> per migration, operation, side and
/// stage; <c>flagkit.migration.comparisons</c> with outcome <c>match</c> / <c>mismatch</c>; an activity per
/// operation. Thread-safe; one instance per migration, shared.
/// </para>
/// </remarks>
public sealed class Migration
{
    private readonly FlagClient _flags;
    private readonly MigrationOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a migration driven by a flag.</summary>
    /// <param name="name">The migration's name (telemetry), e.g. <c>wallet-ledger-v2</c>.</param>
    /// <param name="flags">The client that evaluates the migration flag.</param>
    /// <param name="stageFlagKey">The string flag whose values are stages, e.g. <c>migration.wallet-ledger-v2</c>.</param>
    /// <param name="options">Options; defaults when null.</param>
    public Migration(string name, FlagClient flags, string stageFlagKey, MigrationOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentException.ThrowIfNullOrEmpty(stageFlagKey);
        Name = name;
        _flags = flags;
        StageFlagKey = stageFlagKey;
        _options = options ?? new MigrationOptions();
        if (_options.CompareSampleRatio is < 0 or > 1 || double.IsNaN(_options.CompareSampleRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.CompareSampleRatio, "CompareSampleRatio must be between 0 and 1.");
        }

        _logger = _options.Logger ?? NullLogger.Instance;
    }

    /// <summary>The migration's name.</summary>
    public string Name { get; }

    /// <summary>The migration flag's key.</summary>
    public string StageFlagKey { get; }

    /// <summary>The stage for a context: the flag's value, or <see cref="MigrationOptions.FallbackStage"/> when it is missing or not a stage.</summary>
    /// <param name="context">Who the operation is for; none when null.</param>
    /// <returns>The stage.</returns>
    /// <remarks>Never throws.</remarks>
    public MigrationStage GetStage(EvaluationContext? context = null)
    {
        var details = _flags.GetStringDetails(StageFlagKey, context, defaultValue: "");
        if (details.Reason is EvaluationReason.FlagNotFound or EvaluationReason.TypeMismatch or EvaluationReason.Error)
        {
            return _options.FallbackStage;
        }

        if (MigrationStages.TryParse(details.Value, out var stage))
        {
            return stage;
        }

        VersioningLog.MigrationStageInvalid(_logger, Name, StageFlagKey, details.Value, MigrationStages.Format(_options.FallbackStage));
        return _options.FallbackStage;
    }

    /// <summary>Reads as the stage says: from old, from new, or from both (serving one, comparing a sample).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="readOld">Reads from the old path.</param>
    /// <param name="readNew">Reads from the new path.</param>
    /// <param name="comparer">Compares the two results of a two-sided read; <see cref="EqualityComparer{T}.Default"/> when null.</param>
    /// <param name="context">Who the read is for (the stage may be targeted); none when null.</param>
    /// <param name="cancellationToken">Passed to both paths.</param>
    /// <returns>The served side's result.</returns>
    /// <exception cref="Exception">Whatever the served side threw; a failure of the other side is never thrown.</exception>
    public async Task<T> ReadAsync<T>(
        Func<CancellationToken, Task<T>> readOld,
        Func<CancellationToken, Task<T>> readNew,
        IEqualityComparer<T>? comparer = null,
        EvaluationContext? context = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(readOld);
        ArgumentNullException.ThrowIfNull(readNew);
        var stage = GetStage(context);
        using var activity = StartActivity("flagkit.migration.read", stage);
        var servesNew = MigrationStages.ServesNew(stage);
        var readsOld = MigrationStages.ReadsOld(stage);
        var readsNew = MigrationStages.ReadsNew(stage);

        var oldTask = readsOld ? RunAsync(readOld, "read", "old", stage, cancellationToken) : null;
        var newTask = readsNew ? RunAsync(readNew, "read", "new", stage, cancellationToken) : null;
        var oldOutcome = oldTask is null ? default : await oldTask.ConfigureAwait(false);
        var newOutcome = newTask is null ? default : await newTask.ConfigureAwait(false);

        var served = servesNew ? newOutcome : oldOutcome;
        var other = servesNew ? oldOutcome : newOutcome;
        if ((servesNew ? oldTask : newTask) is not null && other.Error is { } otherError)
        {
            VersioningLog.MigrationReadFailed(_logger, otherError.SourceException, Name, servesNew ? "old" : "new");
        }

        if (oldTask is not null && newTask is not null && oldOutcome.Error is null && newOutcome.Error is null && Sampled())
        {
            Compare(oldOutcome.Value, newOutcome.Value, comparer ?? EqualityComparer<T>.Default, stage);
        }

        served.Error?.Throw();
        return served.Value!;
    }

    /// <summary>
    /// Writes as the stage says: to the authoritative side first, then (in the two-sided stages) to the other side
    /// only if the first succeeded.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="writeOld">Writes to the old path.</param>
    /// <param name="writeNew">Writes to the new path.</param>
    /// <param name="context">Who the write is for (the stage may be targeted); none when null.</param>
    /// <param name="cancellationToken">Passed to both paths.</param>
    /// <returns>The authoritative side's result.</returns>
    /// <exception cref="Exception">Whatever the authoritative side threw (the other side is then not written).</exception>
    public async Task<T> WriteAsync<T>(
        Func<CancellationToken, Task<T>> writeOld,
        Func<CancellationToken, Task<T>> writeNew,
        EvaluationContext? context = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writeOld);
        ArgumentNullException.ThrowIfNull(writeNew);
        var stage = GetStage(context);
        using var activity = StartActivity("flagkit.migration.write", stage);
        var newFirst = MigrationStages.NewIsAuthoritative(stage);
        var authoritative = await RunAsync(newFirst ? writeNew : writeOld, "write", newFirst ? "new" : "old", stage, cancellationToken).ConfigureAwait(false);
        authoritative.Error?.Throw();

        if (MigrationStages.WritesBoth(stage))
        {
            var other = await RunAsync(newFirst ? writeOld : writeNew, "write", newFirst ? "old" : "new", stage, cancellationToken).ConfigureAwait(false);
            if (other.Error is { } error)
            {
                VersioningLog.MigrationWriteFailed(_logger, error.SourceException, Name, newFirst ? "old" : "new");
            }
        }

        return authoritative.Value!;
    }

    private async Task<Outcome<T>> RunAsync<T>(Func<CancellationToken, Task<T>> operation, string op, string side, MigrationStage stage, CancellationToken cancellationToken)
    {
        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        Outcome<T> outcome;
        try
        {
            outcome = new Outcome<T>(await operation(cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception ex)
        {
            outcome = new Outcome<T>(default, ExceptionDispatchInfo.Capture(ex));
        }

        var tags = VersioningTelemetry.Tags(
        [
            new("flagkit.migration", Name),
            new("flagkit.migration.op", op),
            new("flagkit.migration.side", side),
            new("flagkit.migration.stage", MigrationStages.Format(stage)),
        ]);
        VersioningTelemetry.MigrationDuration.Record(time.GetElapsedTime(started).TotalMilliseconds, tags);
        if (outcome.Error is not null)
        {
            VersioningTelemetry.MigrationErrors.Add(1, tags);
        }

        return outcome;
    }

    private bool Sampled() => _options.CompareSampleRatio switch
    {
        >= 1 => true,
        <= 0 => false,
        var ratio => (_options.Random ?? Random.Shared).NextDouble() < ratio,
    };

    private void Compare<T>(T? oldValue, T? newValue, IEqualityComparer<T> comparer, MigrationStage stage)
    {
        bool equal;
        try
        {
            equal = comparer.Equals(oldValue, newValue);
        }
        catch (Exception ex)
        {
            VersioningLog.MigrationComparerThrew(_logger, ex, Name);
            equal = false;
        }

        VersioningTelemetry.MigrationComparisons.Add(1, VersioningTelemetry.Tags(
        [
            new("flagkit.migration", Name),
            new("flagkit.migration.stage", MigrationStages.Format(stage)),
            new("flagkit.migration.outcome", equal ? "match" : "mismatch"),
        ]));
        if (equal)
        {
            return;
        }

        VersioningLog.MigrationMismatch(_logger, Name, MigrationStages.Format(stage));
        try
        {
            _options.OnMismatch?.Invoke(new MigrationMismatch(Name, stage, oldValue, newValue));
        }
        catch (Exception ex)
        {
            VersioningLog.MigrationCallbackThrew(_logger, ex, Name);
        }
    }

    private Activity? StartActivity(string name, MigrationStage stage)
    {
        var activity = VersioningTelemetry.StartActivity(name);
        activity?.SetTag("flagkit.migration", Name);
        activity?.SetTag("flagkit.migration.stage", MigrationStages.Format(stage));
        return activity;
    }

    private readonly record struct Outcome<T>(T? Value, ExceptionDispatchInfo? Error);
}
