using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlagKit.DependencyInjection;

/// <summary>
/// Reports the <see cref="FlagClient"/>'s status: Ready = Healthy, Stale = Degraded, Starting or Failed = Unhealthy,
/// with the client's reason and the revision it serves.
/// </summary>
internal sealed class FlagKitHealthCheck(FlagClient client, FlagKitStatusMonitor monitor) : IHealthCheck
{
    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        FlagSnapshot snapshot = client.Snapshot;
        var data = new Dictionary<string, object>
        {
            ["status"] = client.Status.ToString(),
            ["revision"] = snapshot.Revision,
            ["flags"] = snapshot.FlagCount,
        };
        string? reason = monitor.Detail;
        string description = reason is null ? $"FlagKit {client.Status} at revision {snapshot.Revision}" : $"FlagKit {client.Status} at revision {snapshot.Revision}: {reason}";
        HealthCheckResult result = client.Status switch
        {
            FlagClientStatus.Ready => HealthCheckResult.Healthy(description, data),
            FlagClientStatus.Stale => HealthCheckResult.Degraded(description, data: data),
            _ => new HealthCheckResult(context.Registration.FailureStatus, description, data: data),
        };
        return Task.FromResult(result);
    }
}
