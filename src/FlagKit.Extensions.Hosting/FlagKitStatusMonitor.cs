namespace FlagKit.DependencyInjection;

/// <summary>
/// Remembers the detail of the client's last status change (the client exposes the status, the detail travels only
/// in <see cref="FlagClient.StatusChanged"/>), so the health check can say why.
/// </summary>
/// <remarks>Thread-safe: written from the client's event, read by health checks.</remarks>
internal sealed class FlagKitStatusMonitor
{
    private volatile string? _detail;

    /// <summary>The detail of the last status change, if any.</summary>
    public string? Detail => _detail;

    /// <summary>Subscribes to <paramref name="client"/>'s status changes.</summary>
    /// <param name="client">The client to watch.</param>
    public void Watch(FlagClient client) => client.StatusChanged += (_, e) => _detail = e.Detail;
}
