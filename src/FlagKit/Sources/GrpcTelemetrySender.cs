using FlagKit.Protocol.V1;
using FlagKit.Telemetry;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FlagKit.Sources;

/// <summary>
/// One stream's telemetry sender: started when the server's <c>Welcome</c> takes telemetry, it sends each queued
/// interval as <c>TelemetrySummary</c> messages until the stream ends (disposing it stops it).
/// </summary>
internal sealed class GrpcTelemetrySender(GrpcTelemetryQueue queue, IClientStreamWriter<SyncRequest> requests, ILogger log) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private bool _started;

    /// <summary>Starts sending if <paramref name="welcome"/> takes telemetry; otherwise nothing is ever sent on this stream.</summary>
    /// <param name="welcome">The server's Welcome.</param>
    /// <param name="session">The stream's lifetime.</param>
    public void Start(Welcome welcome, CancellationToken session)
    {
        if (_started || welcome.TelemetryVersion != GrpcTelemetryMessages.Version)
        {
            return;
        }

        _started = true;
        var stop = CancellationTokenSource.CreateLinkedTokenSource(session, _stop.Token);
        queue.StreamOpened();
        _ = Task.Run(() => SendAsync(welcome.MaxTelemetryVariants, stop), CancellationToken.None);
    }

    /// <summary>Stops sending (the stream ended).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task SendAsync(int maxVariants, CancellationTokenSource stop)
    {
        try
        {
            var reader = queue.Reader;
            while (await reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var interval))
                {
                    if (!await SendOneAsync(interval, maxVariants, stop.Token).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The stream ended.
        }
        finally
        {
            queue.StreamClosed();
            stop.Dispose();
        }
    }

    private async Task<bool> SendOneAsync(TelemetryInterval interval, int maxVariants, CancellationToken ct)
    {
        try
        {
            foreach (var summary in GrpcTelemetryMessages.ToSummaries(interval, maxVariants, queue.TakeDroppedSinceSent()))
            {
                await requests.WriteAsync(new SyncRequest { Telemetry = summary }, ct).ConfigureAwait(false);
            }

            queue.CountSent();
            return true;
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            // The stream broke under the write: this interval is lost (counted), the next stream sends the next ones.
            queue.CountDropped();
            TelemetryLog.SendFailed(log, e.Message);
            return false;
        }
    }
}
