using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;

namespace FlagKit.Server.Sync;

/// <summary>
/// One connected SDK stream: a bounded queue of batches (shared, pre-serialized frames), the writing of them into the
/// stream's response body, and the reason it ended.
/// </summary>
/// <remarks>
/// <para>The hub enqueues without ever waiting; a full queue ends the subscriber with <see cref="SubscriberEnd.Resync"/>,
/// so one slow reader costs at most <c>capacity</c> references to frames every subscriber shares.</para>
/// <para>No task waits on a stream's queue: once <see cref="Attach"/>ed to its response body, a subscriber that has
/// something to send is handed to the <see cref="SyncPump"/>, whose few workers write its frames and flush. Only a
/// stream whose transport pushes back (a flush that does not complete at once) goes on in a continuation of its own
/// until its queue is empty, so a slow reader never holds a worker. One writer at a time writes a subscriber's body.</para>
/// <para>Thread safety: every member may be called from any thread.</para>
/// </remarks>
internal sealed class SyncSubscriber : IDisposable
{
    /// <summary>
    /// Written frames are flushed once this many bytes wait unflushed (a snapshot chunk on its own), and at a batch's
    /// end: a stream never buffers much more than a chunk, and a mode change waits at most that long behind a large batch.
    /// </summary>
    private const int FlushEachFrameBytes = 16 * 1024;

    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SyncBatch? _first;
    private Queue<SyncBatch>? _more;
    private int _end;
    private SyncFrame? _priority;
    private WriterState _state;
    private PipeWriter? _body;
    private SyncPump? _pump;
    private InstanceRegistry? _instances;
    private TimeProvider _time = TimeProvider.System;
    private TaskCompletionSource? _writerStopped;

    /// <summary>Creates a subscriber.</summary>
    /// <param name="id">Stream id (unique in this process).</param>
    /// <param name="keyId">The API key that opened the stream.</param>
    /// <param name="capacity">Batches that may wait.</param>
    public SyncSubscriber(long id, string keyId, int capacity)
    {
        Id = id;
        KeyId = keyId;
        Capacity = capacity;
    }

    /// <summary>Who writes the subscriber's body now.</summary>
    private enum WriterState
    {
        /// <summary>No body yet: batches wait (the stream has not sent its Welcome).</summary>
        NotAttached,

        /// <summary>Nothing to send; the next batch or prioritized frame hands it to the pump.</summary>
        Idle,

        /// <summary>Waiting in the pump's queue.</summary>
        Scheduled,

        /// <summary>A pump worker, or the subscriber's own continuation after a flush that pushed back, is writing.</summary>
        Writing,

        /// <summary>Ended, and no write is in progress: nothing more is written by the subscriber.</summary>
        Stopped,
    }

    /// <summary>Stream id.</summary>
    public long Id { get; }

    /// <summary>The API key that opened the stream.</summary>
    public string KeyId { get; }

    /// <summary>How many batches may wait.</summary>
    public int Capacity { get; }

    /// <summary>Batches waiting now.</summary>
    public int QueuedBatches
    {
        get
        {
            lock (_gate)
            {
                return CountLocked;
            }
        }
    }

    /// <summary>Why the stream ended (<see cref="SubscriberEnd.None"/> while it runs).</summary>
    public SubscriberEnd EndReason => (SubscriberEnd)Volatile.Read(ref _end);

    /// <summary>A human-readable reason sent with Resync / GoingAway.</summary>
    public string EndMessage { get; private set; } = "";

    /// <summary>Completes when the subscriber is ended (its continuations never run inside <see cref="End"/>).</summary>
    public Task Ended => _ended.Task;

    /// <summary>Whether the SDK offered mode schemas in Hello: it is sent <c>ModeState</c>s.</summary>
    public bool TakesModes { get; init; }

    /// <summary>An unexpected error that stopped the writing (not a closed transport), for the stream to report.</summary>
    public Exception? WriteFailure { get; private set; }

    private int CountLocked => (_first is null ? 0 : 1) + (_more?.Count ?? 0);

    /// <summary>A revoked or refused stream gets not one more frame.</summary>
    private bool Silenced => EndReason is SubscriberEnd.Revoked or SubscriberEnd.Refused;

    /// <summary>
    /// Starts writing into the stream's response body: what waits now, then every later batch as it is queued. Called
    /// once, after the stream's Welcome was written; an ended subscriber writes nothing.
    /// </summary>
    /// <param name="body">The response body (the response headers were written).</param>
    /// <param name="pump">The workers that write.</param>
    /// <param name="instances">Where the start of each transferring batch is recorded as sent (none when null).</param>
    /// <param name="time">The clock of those records.</param>
    /// <exception cref="InvalidOperationException">Attached twice.</exception>
    public void Attach(PipeWriter body, SyncPump pump, InstanceRegistry? instances, TimeProvider time)
    {
        lock (_gate)
        {
            if (_state == WriterState.Stopped)
            {
                return;
            }

            if (_state != WriterState.NotAttached)
            {
                throw new InvalidOperationException($"Subscriber {Id} is attached already.");
            }

            _body = body;
            _pump = pump;
            _instances = instances;
            _time = time;
            _state = WriterState.Idle;
            if (CountLocked == 0 && Volatile.Read(ref _priority) is null)
            {
                return;
            }

            _state = WriterState.Scheduled;
        }

        pump.Schedule(this);
    }

    /// <summary>
    /// Sends <paramref name="frame"/> ahead of everything queued: the writer takes it before its next frame, even in the
    /// middle of a batch. Only the latest waits (each carries the whole state); never ends the subscriber.
    /// </summary>
    /// <param name="frame">The frame (a <c>ModeState</c>).</param>
    public void Prioritize(SyncFrame frame)
    {
        if (Interlocked.Exchange(ref _priority, frame) is null)
        {
            // An idle writer is scheduled; a busy one takes the frame between two frames anyway.
            ScheduleIfIdle();
        }
    }

    /// <summary>The frame to send before anything else, if one waits (taken: the next call returns null).</summary>
    /// <returns>The frame, or null.</returns>
    public SyncFrame? TakePriority() => Interlocked.Exchange(ref _priority, null);

    /// <summary>Queues a batch without waiting; an attached idle subscriber is handed to the pump.</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>False when the queue is full (the caller ends the subscriber) or it already ended.</returns>
    public bool TryEnqueue(SyncBatch batch)
    {
        batch.FanOut?.Add();
        var queued = false;
        var schedule = false;
        lock (_gate)
        {
            if (_end == (int)SubscriberEnd.None && CountLocked < Capacity)
            {
                queued = true;
                if (_first is null)
                {
                    _first = batch;
                }
                else
                {
                    (_more ??= new Queue<SyncBatch>(2)).Enqueue(batch);
                }

                if (_state == WriterState.Idle)
                {
                    _state = WriterState.Scheduled;
                    schedule = true;
                }
            }
        }

        if (!queued)
        {
            batch.FanOut?.Abandoned();
        }
        else if (schedule)
        {
            _pump!.Schedule(this);
        }

        return queued;
    }

    /// <summary>Takes the oldest waiting batch (a subscriber that is not attached: tests and diagnostics).</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>False when none waits.</returns>
    public bool TryTake([NotNullWhen(true)] out SyncBatch? batch)
    {
        lock (_gate)
        {
            return TakeLocked(out batch);
        }
    }

    /// <summary>Ends the stream once; later calls are ignored. Frees the queue at once.</summary>
    /// <param name="reason">Why.</param>
    /// <param name="message">What the SDK is told.</param>
    /// <returns>True when this call ended it.</returns>
    public bool End(SubscriberEnd reason, string message)
    {
        SyncBatch? first;
        Queue<SyncBatch>? more;
        lock (_gate)
        {
            if (_end != (int)SubscriberEnd.None)
            {
                return false;
            }

            EndMessage = message;
            Volatile.Write(ref _end, (int)reason);
            (first, more, _first, _more) = (_first, _more, null, null);
            if (_state == WriterState.Writing)
            {
                // The writer stops after its current batch (a revoked or refused stream: before its next frame).
                _writerStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else
            {
                _state = WriterState.Stopped;
            }
        }

        Abandon(first);
        while (more is { Count: > 0 })
        {
            Abandon(more.Dequeue());
        }

        // Continuations run asynchronously: End is called under the hub's lock.
        _ended.TrySetResult();
        return true;
    }

    /// <summary>Completes once no write is in progress after the end (at once when none was).</summary>
    /// <returns>The task.</returns>
    public Task WhenWriterStopped()
    {
        lock (_gate)
        {
            return _writerStopped?.Task ?? Task.CompletedTask;
        }
    }

    /// <summary>Whether its body is a direct stream's (<see cref="Direct.DirectStreamBody"/>): a write is a copy, no wake-up.</summary>
    internal bool WritesDirect => _body is Direct.DirectStreamBody;

    /// <summary>Ends the subscriber (the stream closed) unless it ended already.</summary>
    public void Dispose() => End(SubscriberEnd.ClientGone, "stream closed");

    /// <summary>Called by a pump worker: writes what waits; returns at once when a flush pushes back (the writing goes on by itself).</summary>
    internal void WriteQueued()
    {
        lock (_gate)
        {
            if (_state != WriterState.Scheduled)
            {
                // Ended while it waited for the worker.
                return;
            }

            _state = WriterState.Writing;
        }

        // Completes synchronously (no allocation) unless a flush pushes back; never faults.
        _ = WriteQueuedAsync(_body!);
    }

    private void ScheduleIfIdle()
    {
        lock (_gate)
        {
            if (_state != WriterState.Idle)
            {
                return;
            }

            _state = WriterState.Scheduled;
        }

        _pump!.Schedule(this);
    }

    private static void Abandon(SyncBatch? batch)
    {
        batch?.FanOut?.Abandoned();
        batch?.Fanout?.Abandoned();
    }

    private static bool Flushed(FlushResult result) => !result.IsCompleted && !result.IsCanceled;

    private async Task WriteQueuedAsync(PipeWriter body)
    {
        var drained = false;
        try
        {
            while (Next(out var batch))
            {
                if (batch is null)
                {
                    // Only a prioritized frame waits.
                    if (TakePriority() is { } frame && !Silenced)
                    {
                        body.Write(frame.Wire);
                        if (!Flushed(await body.FlushAsync().ConfigureAwait(false)))
                        {
                            return;
                        }
                    }

                    continue;
                }

                // Recorded as the writing begins: the SDK may apply and ack a small delta before the flush returns, and
                // "sent" must never read later than "acked".
                if (batch.Transfers)
                {
                    _instances?.Sent(Id, batch.Revision, _time.GetUtcNow());
                }

                if (!await WriteBatchAsync(body, batch).ConfigureAwait(false))
                {
                    return;
                }

                batch.FanOut?.Written();
            }

            drained = true;
        }
        catch (Exception e)
        {
            // A transport closed under the write is the client going away; anything else is reported by the stream.
            if (e is not (OperationCanceledException or IOException or InvalidOperationException))
            {
                WriteFailure = e;
            }
        }
        finally
        {
            if (!drained)
            {
                // Stopped by a closed transport, an error, or a revoked / refused end: nothing more is written.
                End(SubscriberEnd.ClientGone, "the stream's transport closed");
                lock (_gate)
                {
                    StopLocked();
                }
            }
        }
    }

    /// <summary>
    /// Writes one batch's frames straight into the response body: each frame is already a whole gRPC message (prefix and
    /// payload, shared by every subscriber), so a stream's cost is a copy and one flush per batch (a large snapshot chunk
    /// is flushed on its own, so the stream never buffers more than about a chunk). A prioritized frame goes before the
    /// next frame. False when the stream was revoked or refused meanwhile, or its transport closed.
    /// </summary>
    private async Task<bool> WriteBatchAsync(PipeWriter body, SyncBatch batch)
    {
        var written = false;
        try
        {
            var frames = batch.Frames;
            var unflushed = 0;
            for (var i = 0; i < frames.Count; i++)
            {
                if (Silenced)
                {
                    return false;
                }

                if (TakePriority() is { } priority)
                {
                    body.Write(priority.Wire);
                }

                body.Write(frames[i].Wire);
                unflushed += frames[i].Wire.Length;
                if (i == frames.Count - 1 || unflushed >= FlushEachFrameBytes)
                {
                    unflushed = 0;
                    if (!Flushed(await body.FlushAsync().ConfigureAwait(false)))
                    {
                        return false;
                    }
                }
            }

            if (TakePriority() is { } last && !Silenced)
            {
                body.Write(last.Wire);
                if (!Flushed(await body.FlushAsync().ConfigureAwait(false)))
                {
                    return false;
                }
            }

            written = true;
            return true;
        }
        finally
        {
            if (written)
            {
                batch.Fanout?.Written();
            }
            else
            {
                Abandon(batch);
            }
        }
    }

    /// <summary>The writer's next step: a batch, or null with only a prioritized frame waiting; false when it stops (idle or ended).</summary>
    private bool Next(out SyncBatch? batch)
    {
        lock (_gate)
        {
            batch = null;
            if (_end != (int)SubscriberEnd.None)
            {
                StopLocked();
                return false;
            }

            if (TakeLocked(out batch) || Volatile.Read(ref _priority) is not null)
            {
                return true;
            }

            _state = WriterState.Idle;
            return false;
        }
    }

    private bool TakeLocked([NotNullWhen(true)] out SyncBatch? batch)
    {
        batch = _first;
        if (batch is null)
        {
            return false;
        }

        _first = _more is { Count: > 0 } more ? more.Dequeue() : null;
        return true;
    }

    private void StopLocked()
    {
        _state = WriterState.Stopped;
        _writerStopped?.TrySetResult();
    }
}
