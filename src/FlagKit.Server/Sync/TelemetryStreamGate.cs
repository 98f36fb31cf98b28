using Grpc.Core;

namespace FlagKit.Server.Sync;

/// <summary>
/// One stream's gate for telemetry summaries, opened at its Hello: each summary takes its place in the stream's
/// <see cref="TelemetryRateLimit"/> before it is parsed. Dropped summaries are counted (and the first is logged) by
/// <see cref="TelemetryIngest"/>.
/// </summary>
/// <param name="ingest">Counts and logs.</param>
/// <param name="environment">The stream's environment (the metric's tag).</param>
/// <param name="instance">The SDK instance (its Hello's instance id), for the log.</param>
/// <param name="negotiated">Whether the stream's Welcome takes telemetry; if not, every summary is dropped unread.</param>
/// <param name="limit">The stream's allowance.</param>
/// <remarks>Not thread safe: one stream's reader.</remarks>
internal sealed class TelemetryStreamGate(TelemetryIngest ingest, string environment, string instance, bool negotiated, TelemetryRateLimit limit)
{
    /// <summary>Whether the next summary may be parsed and taken.</summary>
    /// <returns>True to read it; false when it is dropped unread (over the limit, or not negotiated).</returns>
    /// <exception cref="RpcException">INVALID_ARGUMENT naming the limit: the stream kept sending over it and ends.</exception>
    public bool Admit()
    {
        var admission = limit.Take();
        if (admission == TelemetryAdmission.Admitted)
        {
            if (negotiated)
            {
                return true;
            }

            ingest.CountIgnored(environment);
            return false;
        }

        ingest.CountRateLimited(environment, instance, first: limit.Dropped == 1);
        if (admission == TelemetryAdmission.Exceeded)
        {
            throw TelemetryIngest.LimitExceeded(environment, instance, limit.Dropped);
        }

        return false;
    }
}
