using FlagKit.Server.Configuration;
using FlagKit.Server.Store;
using FlagKit.Server.Store.Postgres;

namespace FlagKit.Server.Replication;

/// <summary>Registers what replicas on one PostgreSQL database need; nothing for SQLite (one server, no one to learn from).</summary>
internal static class ReplicationRegistration
{
    /// <summary>The <see cref="LeaseRunner"/>; with the postgres store, the <see cref="ReplicaListener"/>, the <see cref="ReleaseReportRelay"/> and <see cref="FleetInstances"/> as hosted services.</summary>
    /// <param name="services">The services.</param>
    /// <param name="options">The validated options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddReplication(this IServiceCollection services, FlagServerOptions options)
    {
        // Once-only work (both stores: on SQLite the one server always holds its leases). Holder: the server id and a
        // random suffix, unique per process even when replicas are configured with the same ServerId.
        services.AddSingleton(sp => new LeaseRunner(
            sp.GetRequiredService<IFlagStore>(), sp.GetRequiredService<TimeProvider>(),
            $"{sp.GetRequiredService<Sync.HubRegistry>().ServerId}-{Guid.NewGuid().ToString("N")[..8]}"));
        if (StoreKinds.IsPostgres(options.Store))
        {
            services.AddSingleton(sp => (PostgresFlagStore)sp.GetRequiredService<IFlagStore>());
            services.AddSingleton<ReplicaListener>();
            services.AddHostedService(sp => sp.GetRequiredService<ReplicaListener>());
            services.AddSingleton(sp => new ReleaseReportRelay(
                sp.GetRequiredService<IFlagStore>(), sp.GetRequiredService<Writes.EnvironmentCatalog>(), sp.GetRequiredService<Releases.ReleaseReportInbox>(),
                () => sp.GetRequiredService<Releases.ReleaseRunner>().IsDriving, sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<FlagServerOptions>>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ReleaseReportRelay>>()));
            services.AddHostedService(sp => sp.GetRequiredService<ReleaseReportRelay>());
            services.AddSingleton<FleetInstances>();
            services.AddHostedService(sp => sp.GetRequiredService<FleetInstances>());
        }

        return services;
    }
}
