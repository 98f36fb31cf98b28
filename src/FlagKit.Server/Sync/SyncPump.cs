using System.Collections.Concurrent;

namespace FlagKit.Server.Sync;

/// <summary>
/// The few workers that write every stream's queued frames. A subscriber that was idle and gets a batch (or a mode
/// frame) is queued here once; a worker takes it, copies its shared pre-framed bytes into its response body and flushes,
/// then takes the next. A change to 10 000 streams therefore costs a few thread-pool work items, not 10 000 task
/// wake-ups; a stream whose flush pushes back continues on its own (<see cref="SyncSubscriber"/>) and never holds a worker.
/// </summary>
/// <remarks>
/// Workers are thread-pool work items started on demand and gone when the queue is empty: an idle server has none.
/// Thread safety: <see cref="Schedule"/> may be called from any thread.
/// </remarks>
internal sealed class SyncPump : IThreadPoolWorkItem
{
    /// <summary>
    /// What one worker writes before it lets the thread pool run what its writes woke: 64 streams served by ASP.NET Core
    /// (each write wakes the stream's frame writer and holds a 4 KB transport block until it runs), or 65 536 streams
    /// served by the direct path (a write is a copy into its connection's pending output and wakes nothing but one
    /// flusher per connection). A worker that queued itself again waited behind every work item queued meanwhile — with
    /// 10 000 SDKs acknowledging the change as it reaches them, thousands — which made the last streams' writes late.
    /// </summary>
    private const int TurnBudget = 65_536;

    /// <summary>What writing one ASP.NET Core stream costs of <see cref="TurnBudget"/> (a direct stream costs 1).</summary>
    private const int KestrelStreamCost = TurnBudget / 64;

    private readonly ConcurrentQueue<SyncSubscriber> _ready = new();
    private int _running;

    /// <summary>Creates the pump.</summary>
    /// <param name="workers">Workers at most at once (at least one).</param>
    public SyncPump(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        Workers = workers;
    }

    /// <summary>Workers at most at once.</summary>
    public int Workers { get; }

    /// <summary>Queues a subscriber that has something to write (it is queued once until a worker takes it).</summary>
    /// <param name="subscriber">The subscriber, in its scheduled state.</param>
    public void Schedule(SyncSubscriber subscriber)
    {
        _ready.Enqueue(subscriber);
        StartWorker();
    }

    /// <inheritdoc />
    void IThreadPoolWorkItem.Execute()
    {
        var written = 0;
        while (_ready.TryDequeue(out var subscriber))
        {
            subscriber.WriteQueued();
            written += subscriber.WritesDirect ? 1 : KestrelStreamCost;
            if (written >= TurnBudget && !_ready.IsEmpty)
            {
                // The rest goes behind the frame writers this turn woke: each stream's bytes sit in a 4 KB transport
                // block until its connection's writer takes them, and the transport's pool keeps every block that a
                // burst needed at once.
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return;
            }
        }

        Interlocked.Decrement(ref _running);

        // A subscriber queued between the last look and the decrement found every worker running and started none.
        if (!_ready.IsEmpty)
        {
            StartWorker();
        }
    }

    private void StartWorker()
    {
        var running = Volatile.Read(ref _running);
        while (running < Workers)
        {
            var seen = Interlocked.CompareExchange(ref _running, running + 1, running);
            if (seen == running)
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return;
            }

            running = seen;
        }
    }
}
