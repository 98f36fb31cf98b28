using System.Collections.Concurrent;
using FlagKit.Protocol.V1;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Server.Sync;

/// <summary>
/// The SDK instances connected now, with what each said in its Hello, the last revision the server sent it and the
/// last one it acknowledged.
/// </summary>
/// <remarks>Thread safety: all members are safe to call concurrently.</remarks>
internal sealed class InstanceRegistry
{
    private readonly ConcurrentDictionary<long, Entry> _streams = new();

    /// <summary>Records a new stream.</summary>
    /// <param name="streamId">The stream id.</param>
    /// <param name="hello">What the SDK said.</param>
    /// <param name="environment">The environment it reads.</param>
    /// <param name="peer">The peer address.</param>
    /// <param name="now">When it connected.</param>
    public void Connected(long streamId, Hello hello, string environment, string peer, DateTimeOffset now) =>
        _streams[streamId] = new Entry(hello, environment, peer, now);

    /// <summary>Records an Ack.</summary>
    /// <param name="streamId">The stream id.</param>
    /// <param name="ack">The Ack.</param>
    /// <param name="now">When it arrived.</param>
    public void Acked(long streamId, Ack ack, DateTimeOffset now)
    {
        if (_streams.TryGetValue(streamId, out var entry))
        {
            entry.Acked(ack, now);
        }
    }

    /// <summary>Records that the server began writing a batch that completes a revision to the stream.</summary>
    /// <param name="streamId">The stream id.</param>
    /// <param name="revision">The revision the batch completes.</param>
    /// <param name="now">When the writing began.</param>
    public void Sent(long streamId, long revision, DateTimeOffset now)
    {
        if (_streams.TryGetValue(streamId, out var entry))
        {
            entry.Sent(revision, now);
        }
    }

    /// <summary>Forgets a stream.</summary>
    /// <param name="streamId">The stream id.</param>
    public void Disconnected(long streamId) => _streams.TryRemove(streamId, out _);

    /// <summary>The instances connected to an environment (or every environment when empty).</summary>
    /// <param name="environment">The environment name, or empty.</param>
    /// <returns>The instances, by app and instance id.</returns>
    public IReadOnlyList<InstanceInfo> List(string environment) =>
        _streams.Values
            .Where(e => environment.Length == 0 || e.Environment == environment)
            .Select(e => e.ToInfo())
            .OrderBy(i => i.AppName, StringComparer.Ordinal)
            .ThenBy(i => i.InstanceId, StringComparer.Ordinal)
            .ToList();

    private sealed class Entry(Hello hello, string environment, string peer, DateTimeOffset connectedAt)
    {
        private readonly Lock _lock = new();
        private long _ackedRevision;
        private DateTimeOffset? _ackedAt;
        private int _failures;
        private long _sentRevision;
        private DateTimeOffset? _sentAt;

        public Hello Hello { get; } = hello;

        public string Environment { get; } = environment;

        public void Acked(Ack ack, DateTimeOffset now)
        {
            lock (_lock)
            {
                _ackedRevision = ack.Revision;
                _ackedAt = now;
                _failures = ack.Failures.Count;
            }
        }

        public void Sent(long revision, DateTimeOffset now)
        {
            lock (_lock)
            {
                _sentRevision = revision;
                _sentAt = now;
            }
        }

        public InstanceInfo ToInfo()
        {
            lock (_lock)
            {
                var info = new InstanceInfo
                {
                    InstanceId = Hello.InstanceId,
                    SdkName = Hello.SdkName,
                    SdkVersion = Hello.SdkVersion,
                    AppName = Hello.AppName,
                    AppVersion = Hello.AppVersion,
                    Environment = Environment,
                    Peer = peer,
                    ConnectedAt = Timestamp.FromDateTimeOffset(connectedAt),
                    AckedRevision = _ackedRevision,
                    FailedDocuments = _failures,
                    SentRevision = _sentRevision,
                };
                if (_ackedAt is { } at)
                {
                    info.AckedAt = Timestamp.FromDateTimeOffset(at);
                }

                if (_sentAt is { } sent)
                {
                    info.SentAt = Timestamp.FromDateTimeOffset(sent);
                }

                return info;
            }
        }
    }
}
