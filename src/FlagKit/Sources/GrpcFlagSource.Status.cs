
namespace FlagKit.Sources;

/// <summary>What this source reports to its client: the status and its reason, and what it is serving.</summary>
public sealed partial class GrpcFlagSource
{
    /// <summary>
    /// The status this source last reported and why. The client raises <c>StatusChanged</c> only when the status
    /// changes, so a new reason for the same status (e.g. still Starting, now because the server is unreachable)
    /// is read here by the health check.
    /// </summary>
    internal (FlagClientStatus? Status, string? Detail) LastReported
    {
        get
        {
            lock (_gate)
            {
                return (_status, _statusReason);
            }
        }
    }

    /// <summary>Reports a status to the client (unless it is the same status with no new reason, or <paramref name="force"/>).</summary>
    private void SetStatus(FlagSnapshotSink sink, FlagClientStatus status, string? reason, bool force = false)
    {
        lock (_gate)
        {
            if (!force && _status == status && reason is null)
            {
                return;
            }

            _status = status;
            _statusReason = reason;
            sink.SetStatus(status, reason);
        }
    }

    private string StatusReasonOrEmpty() => _statusReason ?? "";

    private long HeldRevision()
    {
        lock (_gate)
        {
            return _held?.Revision ?? 0;
        }
    }

    private string ServingDescription()
    {
        lock (_gate)
        {
            if (_servedFromServer && _held is not null)
            {
                return $"Serving revision {_held.Revision} received earlier";
            }

            return _servingCache && _cachedHeader is not null
                ? $"Serving the disk cache (revision {_cachedHeader.Revision})"
                : "Nothing to serve yet (callers get their defaults)";
        }
    }
}
