using FlagKit.Telemetry;

namespace FlagKit.Sources;

/// <summary>Telemetry: the client's intervals go to the server on the sync stream, when the server takes them.</summary>
public sealed partial class GrpcFlagSource : ITelemetryTransport, ISourceHealth
{
    private long _serverRevision;

    /// <summary>Intervals waiting for a stream, and the counts of those sent and dropped.</summary>
    internal GrpcTelemetryQueue TelemetryQueue { get; } = new();

    long ISourceHealth.Reconnects => Math.Max(0, Diagnostics.Sessions - 1);

    long ISourceHealth.RejectedDocuments => Diagnostics.RejectedDocuments;

    long ISourceHealth.ServerRevision => Interlocked.Read(ref _serverRevision);

    long ISourceHealth.TelemetryDropped => TelemetryQueue.Dropped;

    void ITelemetryTransport.Offer(TelemetryInterval interval) => TelemetryQueue.Offer(interval);

    /// <summary>Notes a revision the server announced (Welcome, heartbeat, batch) for the revision lag.</summary>
    private void NoteServerRevision(long revision)
    {
        var known = Interlocked.Read(ref _serverRevision);
        while (revision > known && Interlocked.CompareExchange(ref _serverRevision, revision, known) is var seen && seen != known)
        {
            known = seen;
        }
    }
}
