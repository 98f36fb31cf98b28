namespace FlagKit.Telemetry;

/// <summary>What a flag source tells the meter about its connection (the gRPC source implements it).</summary>
internal interface ISourceHealth
{
    /// <summary>Streams opened after the first one.</summary>
    long Reconnects { get; }

    /// <summary>Documents the source could not apply (they kept their last good version), since start.</summary>
    long RejectedDocuments { get; }

    /// <summary>The newest revision the server announced (Welcome, heartbeat, batch); 0 when none yet.</summary>
    long ServerRevision { get; }

    /// <summary>Telemetry intervals dropped (no stream that takes them, queue full, write failed), since start.</summary>
    long TelemetryDropped { get; }
}
