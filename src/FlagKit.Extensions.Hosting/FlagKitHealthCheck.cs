using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlagKit.DependencyInjection;

/// <summary>
/// Reports the <see cref="FlagClient"/>'s status: Ready = Healthy, Stale = Degraded, Starting or Failed = Unhealthy
/// (or the registration's failure status), with the reason and the revision it serves.
/// </summary>
internal sealed class FlagKitHealthCheck(FlagClient client) : IHealthCheck
{
    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        FlagClientStatus status = client.Status;
        FlagSnapshot snapshot = client.Snapshot;
        // The source's latest reason, also when the status stayed the same (e.g. still Starting, now because the
        // server is unreachable): StatusChanged is raised only when the status changes.
        string? reason = client.StatusDetail;
        var data = new Dictionary<string, object>
        {
            ["status"] = status.ToString(),
            ["revision"] = snapshot.Revision,
            ["flags"] = snapshot.FlagCount,
        };
        string description = reason is null ? $"FlagKit {status} at revision {snapshot.Revision}" : $"FlagKit {status} at revision {snapshot.Revision}: {reason}";
        HealthCheckResult result = status switch
        {
            FlagClientStatus.Ready => HealthCheckResult.Healthy(description, data),
            FlagClientStatus.Stale => HealthCheckResult.Degraded(description, data: data),
            _ => new HealthCheckResult(context.Registration.FailureStatus, description, data: data),
        };
        return Task.FromResult(result);
    }
}
