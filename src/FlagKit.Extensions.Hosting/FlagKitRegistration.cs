using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlagKit.DependencyInjection;

/// <summary>
/// One <c>AddFlagKit</c> or <c>AddKeyedFlagKit</c> call: the service key of the client it registered
/// (<see langword="null"/> for the unkeyed one), so the hosted service starts every client.
/// </summary>
/// <param name="ServiceKey">The client's service key, and the name of its <see cref="FlagKitOptions"/>; null for the default client.</param>
internal sealed record FlagKitRegistration(string? ServiceKey)
{
    /// <summary>The name of this client's <see cref="FlagKitOptions"/> (<see cref="Options.DefaultName"/> for the default client).</summary>
    public string OptionsName => ServiceKey ?? Options.DefaultName;

    /// <summary>Resolves this registration's <typeparamref name="T"/>: keyed by <see cref="ServiceKey"/>, or unkeyed.</summary>
    /// <typeparam name="T">The service type.</typeparam>
    /// <param name="services">The provider.</param>
    /// <returns>The service.</returns>
    public T Resolve<T>(IServiceProvider services)
        where T : notnull =>
        ServiceKey is null ? services.GetRequiredService<T>() : services.GetRequiredKeyedService<T>(ServiceKey);

    /// <summary>Resolves this registration's optional <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The service type.</typeparam>
    /// <param name="services">The provider.</param>
    /// <returns>The service, or null.</returns>
    public T? ResolveOptional<T>(IServiceProvider services) =>
        ServiceKey is null ? services.GetService<T>() : services.GetKeyedService<T>(ServiceKey);
}
