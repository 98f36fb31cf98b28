using System.Collections.Concurrent;
using FlagKit.Server.Releases;

namespace FlagKit.Server.Tests.Releases;

/// <summary>A notifier that keeps what it is told, registered beside the server's own (the runner calls every notifier).</summary>
internal sealed class ReleaseNotificationRecorder : IReleaseNotifier
{
    private readonly ConcurrentQueue<ReleaseNotification> _received = new();

    /// <summary>Everything told so far, in order.</summary>
    public IReadOnlyList<ReleaseNotification> Received => _received.ToArray();

    /// <inheritdoc />
    public Task NotifyAsync(ReleaseNotification notification, CancellationToken cancellationToken)
    {
        _received.Enqueue(notification);
        return Task.CompletedTask;
    }
}
