using FlagKit.Evaluation;
using FlagKit.Telemetry;

namespace FlagKit;

/// <summary>Telemetry: exposure counting on the evaluation path, and outcomes recorded against the variant served.</summary>
public sealed partial class FlagClient
{
    private readonly FlagTelemetry _telemetry;
    private readonly bool _countExposures;

    /// <summary>The client's exposure and outcome collector (the gRPC source sends its intervals; the meter reads them).</summary>
    internal FlagTelemetry Telemetry => _telemetry;

    /// <summary>
    /// Starts measuring an operation (a checkout, a spin) whose result is recorded against the variant the flag
    /// serves for <paramref name="context"/>: a success when the returned scope is disposed, a failure if
    /// <see cref="FlagOutcome.Fail"/> was called first. Feeds guarded releases (docs/releases.md).
    /// </summary>
    /// <param name="key">The flag whose variant the outcome belongs to.</param>
    /// <param name="context">Who the flag is evaluated for (the same context the operation's code evaluates it with).</param>
    /// <returns>The scope; dispose it when the operation ends (<c>using var outcome = ...</c>).</returns>
    /// <remarks>Never throws; allocates nothing once warm. Does not count an exposure: the code that evaluates the flag does.</remarks>
    public FlagOutcome StartOutcome(string key, EvaluationContext? context = null)
    {
        var snapshot = Current;
        if (key is null || !snapshot.TryGetFlag(key, out var flag))
        {
            return default;
        }

        var variant = snapshot.EvaluateVariant(flag, context);
        return variant >= 0 ? new FlagOutcome(OutcomeToken.Rent(_telemetry, flag, variant, _options.TimeProvider)) : default;
    }

    /// <summary>
    /// Records one operation's result against the variant the flag serves for <paramref name="context"/>, for code
    /// that measures durations itself (the ASP.NET Core middleware does). Feeds guarded releases (docs/releases.md).
    /// </summary>
    /// <param name="key">The flag whose variant the outcome belongs to.</param>
    /// <param name="context">Who the flag is evaluated for.</param>
    /// <param name="success">Whether the operation succeeded.</param>
    /// <param name="duration">How long it took.</param>
    /// <returns>The variant the outcome was recorded against; null when the flag is missing or served no variant (nothing recorded).</returns>
    /// <remarks>Never throws; allocates nothing once the flag's counters exist.</remarks>
    public string? RecordOutcome(string key, EvaluationContext? context, bool success, TimeSpan duration)
    {
        var snapshot = Current;
        if (key is null || !snapshot.TryGetFlag(key, out var flag))
        {
            return null;
        }

        var variant = snapshot.EvaluateVariant(flag, context);
        if (variant < 0)
        {
            return null;
        }

        _telemetry.RecordOutcome(flag, variant, success, duration.TotalMilliseconds);
        return flag.Variants[variant].Name;
    }

    /// <summary>Counts one exposure (when counting is on): the evaluation path's only telemetry cost.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void CountExposure(CompiledFlag flag, int variant)
    {
        if (_countExposures)
        {
            if (flag.ExposureCounters is { } counters)
            {
                ExposureCounts.Count(counters, variant);
            }
            else
            {
                _telemetry.CountFirst(flag, variant);
            }
        }
    }

    /// <summary>Counts the exposure of a detailed evaluation that served a variant.</summary>
    private void CountExposure(in FlagEvaluation evaluation)
    {
        if (evaluation.VariantIndex >= 0)
        {
            CountExposure(evaluation.Flag!, evaluation.VariantIndex);
        }
    }

    private FlagTelemetry CreateTelemetry()
    {
        if (_options.TelemetryInterval < TimeSpan.FromSeconds(1) && _options.TelemetryInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(FlagClientOptions.TelemetryInterval), _options.TelemetryInterval, "FlagClientOptions.TelemetryInterval must be at least 1 second.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxTrackedVariants, "FlagClientOptions.MaxTrackedVariants");
        var telemetry = new FlagTelemetry(() => Current, _options.TimeProvider, _options.TelemetryInterval, _options.MaxTrackedVariants, _logger);
        if (_source is ITelemetryTransport transport)
        {
            telemetry.Transport = transport;
        }

        telemetry.Meter = new FlagKitMeter(this, telemetry, _source as ISourceHealth);

        return telemetry;
    }
}
