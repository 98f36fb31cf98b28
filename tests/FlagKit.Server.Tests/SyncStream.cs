using FlagKit.Protocol.V1;
using Grpc.Core;

namespace FlagKit.Server.Tests;

/// <summary>
/// A raw sync stream for tests (the generated client, no SDK): send Hello / Ack, read messages with a deadline,
/// read whole batches (everything up to Transferred), skipping heartbeats.
/// </summary>
public sealed class SyncStream : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);
    private readonly AsyncDuplexStreamingCall<SyncRequest, SyncResponse> _call;

    private SyncStream(AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call) => _call = call;

    /// <summary>The underlying call.</summary>
    public AsyncDuplexStreamingCall<SyncRequest, SyncResponse> Call => _call;

    /// <summary>Opens a stream and sends Hello.</summary>
    /// <param name="client">The sync client (carries the key).</param>
    /// <param name="lastRevision">The revision the pretend SDK holds.</param>
    /// <param name="instanceId">Instance id.</param>
    /// <param name="environment">Environment.</param>
    /// <param name="protocols">Protocol versions offered.</param>
    /// <param name="schemas">Schema versions offered.</param>
    /// <param name="modeSchemas">Mode schema versions offered (none: an SDK older than operating modes).</param>
    /// <returns>The open stream.</returns>
    public static async Task<SyncStream> OpenAsync(
        FlagSync.FlagSyncClient client, long lastRevision = 0, string instanceId = "test-instance", string environment = TestFlagServer.Environment,
        int[]? protocols = null, int[]? schemas = null, int[]? modeSchemas = null)
    {
        var stream = new SyncStream(client.Sync());
        var hello = new Hello
        {
            SdkName = "raw-test-client",
            SdkVersion = "0.0.0",
            InstanceId = instanceId,
            AppName = "server-tests",
            AppVersion = "1.0.0",
            Environment = environment,
            LastRevision = lastRevision,
        };
        hello.ProtocolVersions.AddRange(protocols ?? [1]);
        hello.SchemaVersions.AddRange(schemas ?? [1]);
        hello.ModeSchemaVersions.AddRange(modeSchemas ?? []);
        try
        {
            await stream._call.RequestStream.WriteAsync(new SyncRequest { Hello = hello });
        }
        catch (RpcException)
        {
            // The server refused the call before Hello went out (e.g. a bad key); reading reports its status.
        }

        return stream;
    }

    /// <summary>The next message, heartbeats included.</summary>
    /// <param name="timeout">Deadline (15 s by default).</param>
    /// <returns>The message, or null when the server ended the stream with OK.</returns>
    public async Task<SyncResponse?> ReadAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _call.ResponseStream.MoveNext(cts.Token) ? _call.ResponseStream.Current : null;
    }

    /// <summary>The next message that is not a heartbeat.</summary>
    /// <param name="timeout">Deadline.</param>
    /// <returns>The message, or null at the end of the stream.</returns>
    public async Task<SyncResponse?> ReadSkippingHeartbeatsAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var message = await ReadAsync(timeout);
            if (message?.KindCase != SyncResponse.KindOneofCase.Heartbeat)
            {
                return message;
            }
        }
    }

    /// <summary>Reads one whole batch: Snapshot or Delta messages up to and including Transferred.</summary>
    /// <param name="timeout">Deadline per message.</param>
    /// <returns>The batch's messages (the last one is the Transferred).</returns>
    public async Task<List<SyncResponse>> ReadBatchAsync(TimeSpan? timeout = null)
    {
        var batch = new List<SyncResponse>();
        while (true)
        {
            var message = await ReadSkippingHeartbeatsAsync(timeout) ?? throw new InvalidOperationException($"The stream ended inside a batch after {batch.Count} messages.");
            batch.Add(message);
            if (message.KindCase == SyncResponse.KindOneofCase.Transferred)
            {
                return batch;
            }

            if (message.KindCase is not (SyncResponse.KindOneofCase.Snapshot or SyncResponse.KindOneofCase.Delta))
            {
                throw new InvalidOperationException($"Unexpected {message.KindCase} inside a batch.");
            }
        }
    }

    /// <summary>Reads Welcome and the first batch.</summary>
    /// <returns>The Welcome and the batch.</returns>
    public async Task<(Welcome Welcome, List<SyncResponse> Batch)> ReadWelcomeAndFirstBatchAsync()
    {
        var first = await ReadAsync() ?? throw new InvalidOperationException("The stream ended before Welcome.");
        if (first.KindCase != SyncResponse.KindOneofCase.Welcome)
        {
            throw new InvalidOperationException($"Expected Welcome, got {first.KindCase}.");
        }

        return (first.Welcome, await ReadBatchAsync());
    }

    /// <summary>Acknowledges a revision.</summary>
    /// <param name="revision">The revision applied.</param>
    /// <param name="failures">Documents it could not apply.</param>
    /// <returns>Completes when sent.</returns>
    public Task AckAsync(long revision, params DocumentFailure[] failures)
    {
        var ack = new Ack { Revision = revision };
        ack.Failures.AddRange(failures);
        return _call.RequestStream.WriteAsync(new SyncRequest { Ack = ack });
    }

    /// <inheritdoc />
    public void Dispose() => _call.Dispose();
}
