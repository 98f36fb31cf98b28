using System.Threading.Channels;
using FlagKit.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FlagKit;

/// <summary>
/// Raises a <see cref="FlagClient"/>'s events (<c>FlagsChanged</c>, <c>StatusChanged</c>) away from the code that
/// caused them: the client queues each event under its lock, in the order of the changes, and one task of its own
/// drains the queue and calls the handlers with no lock held. A slow handler delays only the events after it, never
/// the source's sync loop, its acks or a health check; a handler that throws is logged and the next one runs.
/// </summary>
/// <remarks>Thread safe for any number of writers; there is exactly one reader (the drain task).</remarks>
internal sealed class FlagClientEventQueue
{
    private readonly Channel<Action> _queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
        // Never run the drain loop on the thread that posts (the sync loop, under the client's lock).
        AllowSynchronousContinuations = false,
    });

    private readonly ILogger _logger;

    /// <param name="logger">Where a handler's exception is logged.</param>
    public FlagClientEventQueue(ILogger logger)
    {
        _logger = logger;
        Drained = DrainAsync();
    }

    /// <summary>Completes once <see cref="Complete"/> was called and every queued event has been raised.</summary>
    public Task Drained { get; }

    /// <summary>
    /// Queues one event for the handlers subscribed now (<paramref name="handler"/> as read by the caller); nothing
    /// when there are none. Returns at once.
    /// </summary>
    public void Post<T>(EventHandler<T>? handler, object sender, T args, string eventName)
    {
        if (handler is null)
        {
            return;
        }

        // Unbounded: TryWrite fails only after Complete (the client is disposed), when the event is dropped.
        _queue.Writer.TryWrite(() => Invoke(handler, sender, args, eventName));
    }

    /// <summary>Accepts no more events; those already queued are still raised.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async Task DrainAsync()
    {
        ChannelReader<Action> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out Action? raise))
            {
                raise();
            }
        }
    }

    private void Invoke<T>(EventHandler<T> handler, object sender, T args, string eventName)
    {
        foreach (Delegate single in handler.GetInvocationList())
        {
            try
            {
                ((EventHandler<T>)single)(sender, args);
            }
            catch (Exception ex)
            {
                FlagClientLog.HandlerFailed(_logger, ex, eventName);
            }
        }
    }
}
