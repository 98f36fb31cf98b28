namespace FlagKit.Telemetry;

/// <summary>What one SDK instance saw over one interval: per flag and variant, plus what the cap left uncounted.</summary>
/// <param name="Start">When the interval began.</param>
/// <param name="Duration">How long it lasted.</param>
/// <param name="Variants">The figures of every flag variant with an exposure or an outcome in the interval.</param>
/// <param name="UntrackedEvents">Exposures and outcomes of flags beyond the tracked flag/variant cap.</param>
internal sealed record TelemetryInterval(DateTimeOffset Start, TimeSpan Duration, IReadOnlyList<TelemetryFigures> Variants, long UntrackedEvents);
