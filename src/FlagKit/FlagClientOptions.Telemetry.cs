namespace FlagKit;

/// <summary>Telemetry: exposure counting and the outcome intervals (see docs/sdk.md, <i>Exposures and outcomes</i>).</summary>
public sealed partial class FlagClientOptions
{
    /// <summary>
    /// Whether the client counts how often each flag serves each variant (exposures). On by default; it costs the
    /// evaluation one plain increment (about a nanosecond) and no allocation. Outcomes are recorded either way.
    /// </summary>
    public bool CountExposures { get; set; } = true;

    /// <summary>
    /// How often exposures and outcomes are summed into an interval and sent to the server (when it takes them) and
    /// published on the meter. 10 seconds by default; at least 1 second.
    /// </summary>
    public TimeSpan TelemetryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Most flag variants whose figures are kept one by one (the memory bound: about 3 KB per variant with outcomes).
    /// Flags evaluated beyond it are counted only as a total of untracked events. 1 024 by default.
    /// </summary>
    public int MaxTrackedVariants { get; set; } = 1024;
}
