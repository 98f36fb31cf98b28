using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Hosting;
using Grpc.Core;

namespace FlagKit.Server.Sync;

/// <summary>
/// The Sync method's request reader as <see cref="FlagSyncService"/> sees it: parses each <see cref="SyncRequestFrame"/>
/// and applies <see cref="RequestLimits"/> (the interceptor that does so for other methods sees only frames here), and
/// holds the stream's telemetry summaries to its <see cref="TelemetryRateLimit"/> BEFORE parsing them: a summary over
/// the limit, or one on a stream that did not negotiate telemetry, is dropped unread and counted; a stream that keeps
/// going over the limit is ended with INVALID_ARGUMENT naming the limit.
/// </summary>
/// <remarks>Not thread safe: one reader per stream, read by one loop at a time (as gRPC's own).</remarks>
internal sealed class TelemetryGateReader : IAsyncStreamReader<SyncRequest>
{
    private readonly IAsyncStreamReader<SyncRequestFrame> _inner;
    private readonly TelemetryIngest _ingest;
    private readonly string? _keyEnvironment;
    private TelemetryStreamGate? _stream;

    /// <summary>Wraps a stream's frames.</summary>
    /// <param name="inner">The frames as gRPC reads them.</param>
    /// <param name="ingest">Where the limit, the counts and the log come from.</param>
    /// <param name="keyEnvironment">The environment of the stream's API key (the stream's when Hello names none).</param>
    public TelemetryGateReader(IAsyncStreamReader<SyncRequestFrame> inner, TelemetryIngest ingest, string? keyEnvironment)
    {
        _inner = inner;
        _ingest = ingest;
        _keyEnvironment = keyEnvironment;
    }

    /// <inheritdoc />
    public SyncRequest Current { get; private set; } = null!;

    /// <inheritdoc />
    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        while (await _inner.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var frame = _inner.Current;
            var unparsedSummary = frame.IsTelemetry;
            // The limit first: a summary it refuses is never parsed.
            if (unparsedSummary && _stream is not null && !Admit(frame))
            {
                continue;
            }

            var message = frame.Parse();
            if (!unparsedSummary && message.KindCase == SyncRequest.KindOneofCase.Telemetry && _stream is not null && !_stream.Admit())
            {
                // A summary behind another field (not how encoders write it): parsed already, but still charged.
                continue;
            }

            RequestLimits.Check(message);
            if (_stream is null && message.KindCase == SyncRequest.KindOneofCase.Hello)
            {
                var hello = message.Hello;
                _stream = _ingest.Open(hello.Environment.Length > 0 ? hello.Environment : _keyEnvironment ?? "", hello);
            }

            Current = message;
            return true;
        }

        return false;
    }

    /// <summary>Takes an unparsed summary's place in the limit; a refused one's buffer is given back.</summary>
    private bool Admit(SyncRequestFrame frame)
    {
        var admitted = false;
        try
        {
            admitted = _stream!.Admit();
            return admitted;
        }
        finally
        {
            if (!admitted)
            {
                frame.Release();
            }
        }
    }
}
