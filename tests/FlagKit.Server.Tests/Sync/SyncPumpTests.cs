using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FlagKit.Protocol.V1;
using FlagKit.Server.Sync;
using Google.Protobuf;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// The pump that writes subscribers' queued frames into their response bodies (here: pipes): order and whole messages,
/// mode frames without a batch, a stream that stops reading never holding up the others, and not one frame more once a
/// stream is revoked.
/// </summary>
public sealed class SyncPumpTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    // One worker: a stream whose flush pushes back would hold up every other one if it kept the worker.
    private readonly SyncPump _pump = new(workers: 1);

    [Test]
    public async Task Attach_BatchesQueuedBeforeAndAfter_WrittenInOrderAsWholeMessages()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        hub.Publish(Change(1, Doc("a")));
        using var subscriber = new SyncSubscriber(1, "k", 8);
        hub.Subscribe(subscriber, 0);
        var body = new Pipe();

        subscriber.Attach(body.Writer, _pump, instances: null, TimeProvider.System);
        hub.Publish(Change(2, Doc("b")));
        var messages = await ReadAsync(body.Reader, 4);

        Assert.That(messages.Select(m => m.KindCase), Is.EqualTo(new[]
        {
            SyncResponse.KindOneofCase.Snapshot, SyncResponse.KindOneofCase.Transferred,
            SyncResponse.KindOneofCase.Delta, SyncResponse.KindOneofCase.Transferred,
        }));
        Assert.That((messages[1].Transferred.Revision, messages[3].Transferred.Revision), Is.EqualTo((1L, 2L)));
        Assert.That(messages[2].Delta.Upserts.Single().Key, Is.EqualTo("b"));
    }

    [Test]
    public async Task Publish_MoreStreamsThanAWorkerWritesInOneTurn_EveryStreamWritten()
    {
        // A worker writes 64 streams per turn, then queues itself again behind what those writes woke.
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        var streams = Enumerable.Range(1, 300).Select(i => (Subscriber: new SyncSubscriber(i, "k", 4), Body: new Pipe())).ToList();
        foreach (var (subscriber, body) in streams)
        {
            hub.Subscribe(subscriber, 0);
            subscriber.Attach(body.Writer, _pump, instances: null, TimeProvider.System);
        }

        hub.Publish(Change(1, Doc("a")));

        foreach (var (subscriber, body) in streams)
        {
            var messages = await ReadAsync(body.Reader, 4);
            Assert.That(messages[3].Transferred.Revision, Is.EqualTo(1), $"stream {subscriber.Id}");
            subscriber.Dispose();
        }
    }

    [Test]
    public async Task Prioritize_IdleAttachedSubscriber_WritesTheFrameWithoutABatch()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        using var subscriber = new SyncSubscriber(1, "k", 2) { TakesModes = true };
        hub.Subscribe(subscriber, 0);
        var body = new Pipe();
        subscriber.Attach(body.Writer, _pump, instances: null, TimeProvider.System);
        await ReadAsync(body.Reader, 2);

        hub.PublishMode(new ModeState { Version = 7, Json = ByteString.CopyFromUtf8("{\"schema\":1}") });
        var mode = (await ReadAsync(body.Reader, 1)).Single();

        Assert.That(mode.Mode.Version, Is.EqualTo(7));
        Assert.That(subscriber.QueuedBatches, Is.Zero);
    }

    [Test]
    public async Task Publish_OneStreamStopsReading_OthersWrittenAndItIsDroppedAtItsBound()
    {
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024 * 1024);
        hub.Publish(Change(1, Doc("a", new string('x', 1000))));
        using var stuck = new SyncSubscriber(1, "k", 3);
        using var reader = new SyncSubscriber(2, "k", 3);
        hub.Subscribe(stuck, 0);
        hub.Subscribe(reader, 0);

        // The stuck stream's transport takes 64 bytes, then every flush waits for a reader that never comes.
        var stuckBody = new Pipe(new PipeOptions(pauseWriterThreshold: 64, resumeWriterThreshold: 32));
        var readerBody = new Pipe();
        stuck.Attach(stuckBody.Writer, _pump, instances: null, TimeProvider.System);
        reader.Attach(readerBody.Writer, _pump, instances: null, TimeProvider.System);
        await ReadAsync(readerBody.Reader, 2);
        for (var revision = 2; revision <= 6; revision++)
        {
            hub.Publish(Change(revision, Doc("f" + revision)));
            var delta = await ReadAsync(readerBody.Reader, 2);
            Assert.That(delta[1].Transferred.Revision, Is.EqualTo(revision), "the reading stream is written every change at once");
        }

        Assert.That(stuck.EndReason, Is.EqualTo(SubscriberEnd.Resync), "dropped when a fourth batch found its queue full");
        Assert.That(reader.EndReason, Is.EqualTo(SubscriberEnd.None));
        Assert.That(hub.SubscriberCount, Is.EqualTo(1));
        var stopped = stuck.WhenWriterStopped();
        Assert.That(stopped.IsCompleted, Is.False, "its flush still waits on the transport");

        // The transport gives way (the stream is aborted): the writer stops without writing another batch.
        stuckBody.Reader.Complete();
        await stopped.WaitAsync(Deadline);
    }

    [Test]
    public async Task End_RevokedWhileAFlushWaits_NotOneFrameMore()
    {
        // Six messages of about 17 KB in one batch (each flushed on its own); the transport takes two, then pushes back.
        var hub = new EnvironmentHub("env", logCapacity: 10, chunkBytes: 1024);
        hub.Publish(Change(1, [.. Enumerable.Range(0, 6).Select(i => Doc("f" + i, new string('x', 17_000)))]));
        using var subscriber = new SyncSubscriber(1, "k", 4);
        hub.Subscribe(subscriber, 0);
        var body = new Pipe(new PipeOptions(pauseWriterThreshold: 30_000, resumeWriterThreshold: 30_000));
        subscriber.Attach(body.Writer, _pump, instances: null, TimeProvider.System);
        var result = await body.Reader.ReadAsync().AsTask().WaitAsync(Deadline);
        while (Parse(result.Buffer).Count < 2)
        {
            // Looked at, not taken: the writer stays blocked on its second flush.
            body.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await body.Reader.ReadAsync().AsTask().WaitAsync(Deadline);
        }

        subscriber.End(SubscriberEnd.Revoked, "the API key was revoked");
        var written = Parse(result.Buffer);
        body.Reader.AdvanceTo(result.Buffer.End);
        await subscriber.WhenWriterStopped().WaitAsync(Deadline);
        if (body.Reader.TryRead(out var more))
        {
            written.AddRange(Parse(more.Buffer));
            body.Reader.AdvanceTo(more.Buffer.End);
        }

        Assert.That(written.Select(m => m.KindCase), Is.EqualTo(new[] { SyncResponse.KindOneofCase.Snapshot, SyncResponse.KindOneofCase.Snapshot }),
            "the two messages written before the revocation, and no Transferred");
    }

    private static async Task<List<SyncResponse>> ReadAsync(PipeReader reader, int count)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var messages = new List<SyncResponse>();
        while (messages.Count < count)
        {
            var result = await reader.ReadAsync(deadline.Token);
            var buffer = result.Buffer;
            while (messages.Count < count && TryParse(ref buffer, out var message))
            {
                messages.Add(message);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted && messages.Count < count)
            {
                Assert.Fail($"the body ended after {messages.Count} of {count} messages");
            }
        }

        return messages;
    }

    private static List<SyncResponse> Parse(ReadOnlySequence<byte> buffer)
    {
        var messages = new List<SyncResponse>();
        while (TryParse(ref buffer, out var message))
        {
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>One gRPC message (flag byte, big-endian length, payload) off the front of the buffer.</summary>
    private static bool TryParse(ref ReadOnlySequence<byte> buffer, out SyncResponse message)
    {
        message = null!;
        if (buffer.Length < SyncFrame.PrefixLength)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[SyncFrame.PrefixLength];
        buffer.Slice(0, SyncFrame.PrefixLength).CopyTo(prefix);
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        if (buffer.Length < SyncFrame.PrefixLength + length)
        {
            return false;
        }

        message = SyncResponse.Parser.ParseFrom(buffer.Slice(SyncFrame.PrefixLength, length));
        buffer = buffer.Slice(SyncFrame.PrefixLength + length);
        return true;
    }

    private static Document Doc(string key, string json = "{}") =>
        new() { Kind = DocumentKind.Flag, Key = key, Json = ByteString.CopyFromUtf8(json) };

    private static RevisionChange Change(long revision, params Document[] upserts) => new(revision, "", upserts, [], new HashSet<string>());
}
