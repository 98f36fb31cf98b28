using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FlagKit.Versioning;

/// <summary>
/// Counts negotiations per contract, version, side and outcome (meter <c>FlagKit.Versioning</c>, counter
/// <c>flagkit.contract.negotiations</c>), so ops can watch traffic on an old version reach zero before retiring it.
/// </summary>
/// <remarks>Thread-safe. Recording allocates nothing once a version's text is cached.</remarks>
internal sealed class ContractMetrics
{
    public const string MeterName = VersioningTelemetry.Name;
    public const string NegotiationsName = "flagkit.contract.negotiations";

    private readonly Counter<long> _negotiations;

    public ContractMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? VersioningTelemetry.Meter;
        _negotiations = meter.CreateCounter<long>(
            NegotiationsName,
            unit: "{negotiation}",
            description: "Contract negotiations by contract, chosen version, side (client/server) and outcome.");
    }

    public static ContractMetrics Shared { get; } = new(null);

    public void Record(NegotiationResult result, ContractSide side)
    {
        if (!_negotiations.Enabled)
        {
            return;
        }

        var tags = VersioningTelemetry.Tags(
        [
            new("flagkit.contract.name", result.ContractName),
            new("flagkit.contract.version", result.Chosen?.Text ?? "none"),
            new("flagkit.contract.side", side == ContractSide.Client ? "client" : "server"),
            new("flagkit.contract.outcome", ContractWire.FormatStatus(result.Status)),
            new("flagkit.contract.deprecated", result.IsDeprecated ? "true" : "false"),
        ]);
        _negotiations.Add(1, tags);
    }
}
