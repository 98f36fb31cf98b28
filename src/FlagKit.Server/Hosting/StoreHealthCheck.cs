using FlagKit.Server.Store;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlagKit.Server.Hosting;

/// <summary>Healthy when the store answers a query.</summary>
internal sealed class StoreHealthCheck : IHealthCheck
{
    private readonly IFlagStore _db;

    /// <summary>Creates the check.</summary>
    /// <param name="db">The store.</param>
    public StoreHealthCheck(IFlagStore db) => _db = db;

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult(_db.Ping() ? HealthCheckResult.Healthy("store answers") : HealthCheckResult.Unhealthy("store gave a wrong answer"));
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or IOException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("store does not answer", e));
        }
    }
}
