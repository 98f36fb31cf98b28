namespace FlagKit.Server.Tests.Releases;

/// <summary>One simulated workload: what the treatment does differently, and what goes wrong with the data.</summary>
internal sealed record SimulationScenario(string Name)
{
    /// <summary>Requests per minute in the treatment arm (the control gets its configured share relative to it).</summary>
    public double TreatmentPerMinute { get; init; } = 2000;

    /// <summary>The fleet's mean error rate (each instance's rate varies around it).</summary>
    public double BaseErrorRate { get; init; } = 0.01;

    /// <summary>The treatment's error rate relative to the control's on the same instance.</summary>
    public double ErrorMultiplier { get; init; } = 1;

    /// <summary>The treatment's latency relative to the control's (scales every quantile).</summary>
    public double LatencyMultiplier { get; init; } = 1;

    /// <summary>After this, the treatment's reports stop arriving (null: never).</summary>
    public TimeSpan? TreatmentReportsStopAt { get; init; }

    /// <summary>The share of treatment requests that crash before they are reported at all (exposure and outcome lost).</summary>
    public double TreatmentUnreported { get; init; }

    /// <summary>SDK instances.</summary>
    public int Instances { get; init; } = 5;

    /// <summary>The control's median latency in milliseconds (each instance varies around it).</summary>
    public double MedianMilliseconds { get; init; } = 40;

    /// <summary>The log-normal shape of latency.</summary>
    public double LatencySigma { get; init; } = 0.5;
}
