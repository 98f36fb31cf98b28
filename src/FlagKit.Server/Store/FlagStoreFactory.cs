using FlagKit.Server.Configuration;
using FlagKit.Server.Store.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace FlagKit.Server.Store;

/// <summary>Opens the store the configuration names and registers it under each of its interfaces.</summary>
internal static class FlagStoreFactory
{
    /// <summary>Opens the configured store and applies its pending migrations.</summary>
    /// <param name="options">The validated options.</param>
    /// <param name="now">The time recorded for applied migrations.</param>
    /// <returns>The open store.</returns>
    public static IFlagStore Open(FlagServerOptions options, DateTimeOffset now) =>
        StoreKinds.IsPostgres(options.Store)
            ? PostgresFlagStore.Open(options.ResolvePostgresConnectionString()!, now)
            : FlagDatabase.Open(options.DataPath, now);

    /// <summary>Registers the configured store as <see cref="IFlagStore"/> and as each store interface by concern.</summary>
    /// <param name="services">The services.</param>
    /// <param name="options">The validated options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddFlagStore(this IServiceCollection services, FlagServerOptions options)
    {
        services.AddSingleton(sp => Open(options, sp.GetRequiredService<TimeProvider>().GetUtcNow()));
        services.AddSingleton<IDocumentStore>(sp => sp.GetRequiredService<IFlagStore>());
        services.AddSingleton<IHistoryStore>(sp => sp.GetRequiredService<IFlagStore>());
        services.AddSingleton<IIdempotencyStore>(sp => sp.GetRequiredService<IFlagStore>());
        services.AddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<IFlagStore>());
        services.AddSingleton<IReleaseStore>(sp => sp.GetRequiredService<IFlagStore>());
        return services;
    }
}
