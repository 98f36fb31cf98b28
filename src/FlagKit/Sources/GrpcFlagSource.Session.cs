using FlagKit.Documents;
using FlagKit.Protocol.V1;
using Grpc.Core;
using ProtoDocumentFailure = FlagKit.Protocol.V1.DocumentFailure;

namespace FlagKit.Sources;

/// <summary>The sync stream's state machine (one session) and the publishing of a complete batch.</summary>
public sealed partial class GrpcFlagSource
{
    /// <summary>
    /// One stream: Hello, Welcome, then batches assembled aside and published whole at their <c>Transferred</c> marker,
    /// each acknowledged; ends with the outcome the reconnect loop acts on. Never throws but on cancellation.
    /// </summary>
    private async Task<GrpcSessionOutcome> RunSessionAsync(FlagSnapshotSink sink, CancellationToken lifetime)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        using var watchdog = new GrpcStreamWatchdog(_time, session);
        long helloRevision;
        lock (_gate)
        {
            helloRevision = _resumeRevision;
        }

        Diagnostics.Sessions++;
        Diagnostics.LastHelloRevision = helloRevision;
        var headers = new Metadata { { "authorization", "Bearer " + _options.ApiKey } };
        watchdog.Arm(_options.ConnectTimeout);
        try
        {
            using AsyncDuplexStreamingCall<SyncRequest, SyncResponse> call = _channel.Client.Sync(headers, cancellationToken: session.Token);
            using var requests = new GrpcSerialWriter(call.RequestStream);
            using var telemetry = new GrpcTelemetrySender(TelemetryQueue, requests, _log);
            await requests.WriteAsync(new SyncRequest { Hello = GrpcHello.Build(_options, InstanceId, helloRevision) }, session.Token).ConfigureAwait(false);

            var batch = new GrpcSyncBatch();
            Welcome? welcome = null;
            while (await call.ResponseStream.MoveNext(session.Token).ConfigureAwait(false))
            {
                watchdog.Touch();
                SyncResponse message = call.ResponseStream.Current;
                string? violation = null;
                switch (message.KindCase)
                {
                    case SyncResponse.KindOneofCase.Welcome:
                        welcome = message.Welcome;
                        if (welcome.ProtocolVersion != GrpcHello.ProtocolVersion || welcome.SchemaVersion != FlagFile.CurrentSchema)
                        {
                            return GrpcSessionOutcome.Refused(
                                $"the server chose protocol {welcome.ProtocolVersion} / schema {welcome.SchemaVersion}; this SDK speaks protocol [{GrpcHello.ProtocolVersion}] / schema [{FlagFile.CurrentSchema}]");
                        }

                        watchdog.Arm(welcome.HeartbeatIntervalMs > 0 ? TimeSpan.FromMilliseconds(welcome.HeartbeatIntervalMs * 3L) : Timeout.InfiniteTimeSpan);
                        GrpcFlagSourceLog.Connected(_log, _serverUrl, welcome.ServerId, welcome.Environment, welcome.ServerRevision, helloRevision);
                        telemetry.Start(welcome, session.Token);
                        NoteServerRevision(welcome.ServerRevision);
                        if (welcome.Mode is { } welcomeModes)
                        {
                            ApplyModes(sink, welcomeModes, atWelcome: true);
                        }

                        break;
                    case SyncResponse.KindOneofCase.Mode:
                        // Not part of any batch: applied on arrival, even between the messages of a batch.
                        ApplyModes(sink, message.Mode, atWelcome: false);
                        break;
                    case SyncResponse.KindOneofCase.Snapshot:
                        violation = welcome is null ? "a Snapshot arrived before Welcome" : batch.Add(message.Snapshot);
                        break;
                    case SyncResponse.KindOneofCase.Delta:
                        violation = welcome is null ? "a Delta arrived before Welcome" : batch.Add(message.Delta, HeldRevision());
                        break;
                    case SyncResponse.KindOneofCase.Transferred:
                        violation = welcome is null ? "Transferred arrived before Welcome" : batch.CheckTransferred(message.Transferred.Revision);
                        if (violation is null)
                        {
                            await ApplyAsync(sink, batch, message.Transferred, requests, session.Token).ConfigureAwait(false);
                            batch = new GrpcSyncBatch();
                            _backoff.Reset();
                        }

                        break;
                    case SyncResponse.KindOneofCase.Heartbeat:
                        NoteServerRevision(message.Heartbeat.Revision);
                        break;
                    case SyncResponse.KindOneofCase.Resync:
                        lock (_gate)
                        {
                            _resumeRevision = 0;
                        }

                        GrpcFlagSourceLog.ResyncRequested(_log, message.Resync.Reason);
                        return GrpcSessionOutcome.Resync($"the server asked for a resync: {message.Resync.Reason}");
                    case SyncResponse.KindOneofCase.GoingAway:
                        return GrpcSessionOutcome.Ended($"the server is going away: {message.GoingAway.Reason}");
                    default:
                        // A message kind from a newer server: ignored, as the protocol's compatibility rules say.
                        break;
                }

                if (violation is not null)
                {
                    // Whatever we hold may not be what the server thinks: start over from a full snapshot.
                    lock (_gate)
                    {
                        _resumeRevision = 0;
                    }

                    GrpcFlagSourceLog.ProtocolViolation(_log, violation);
                    return GrpcSessionOutcome.Broken($"protocol violation: {violation}");
                }
            }

            return GrpcSessionOutcome.Ended("the server closed the stream");
        }
        catch (Exception e) when (watchdog.Fired && !lifetime.IsCancellationRequested && e is RpcException or OperationCanceledException or IOException)
        {
            _channel.MarkSuspect();
            return GrpcSessionOutcome.Broken(watchdog.Deadline == _options.ConnectTimeout
                ? $"no Welcome from the server within {_options.ConnectTimeout}"
                : $"no message from the server for {watchdog.Deadline} (3 missed heartbeats)");
        }
        catch (RpcException e) when (!lifetime.IsCancellationRequested)
        {
            return e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.FailedPrecondition
                ? GrpcSessionOutcome.Refused($"{e.StatusCode}: {e.Status.Detail}")
                : GrpcSessionOutcome.Broken($"{e.StatusCode}: {e.Status.Detail}");
        }
        catch (Exception e) when (!lifetime.IsCancellationRequested && e is IOException or HttpRequestException or InvalidOperationException)
        {
            return GrpcSessionOutcome.Broken(e.Message);
        }
    }

    /// <summary>Compiles a complete batch, publishes it, reports Ready, acknowledges it and writes the disk cache.</summary>
    private async Task ApplyAsync(FlagSnapshotSink sink, GrpcSyncBatch batch, Transferred transferred, IClientStreamWriter<SyncRequest> requests, CancellationToken ct)
    {
        long revision = transferred.Revision;
        var failures = new List<Compilation.DocumentFailure>();
        FlagSnapshot previous;
        lock (_gate)
        {
            previous = _held ?? sink.Current;
        }

        FlagSnapshot next;
        int documents;
        if (batch.Kind == GrpcSyncBatchKind.Snapshot)
        {
            documents = batch.SnapshotDocuments.Count;
            next = GrpcSyncBatchCompiler.FromSnapshot(batch.SnapshotDocuments, revision, previous, failures);
        }
        else if (batch.Kind == GrpcSyncBatchKind.None && revision == previous.Revision)
        {
            // Resumed with nothing missed: the marker only confirms what we hold.
            documents = 0;
            next = previous;
        }
        else
        {
            documents = batch.Changes.Count;
            next = GrpcSyncBatchCompiler.FromDelta(batch.Changes, revision, previous, failures);
        }

        lock (_gate)
        {
            _held = next;
            _resumeRevision = revision;
            _servedFromServer = true;
            _servingCache = false;
            if (!ReferenceEquals(next, sink.Current))
            {
                sink.Publish(next);
            }
        }

        Diagnostics.RecordBatch(batch.Kind, batch.FromRevision, revision, documents, failures.Count);
        foreach (Compilation.DocumentFailure failure in failures)
        {
            GrpcFlagSourceLog.DocumentRejected(_log, failure.IsSegment ? "segment" : "flag", failure.Key, revision, failure.Reason);
        }

        SetStatus(sink, FlagClientStatus.Ready, failures.Count == 0 ? null : $"revision {revision}: {failures.Count} document(s) could not be applied and keep their last good version");

        var ack = new Ack { Revision = revision };
        foreach (Compilation.DocumentFailure failure in failures)
        {
            ack.Failures.Add(new ProtoDocumentFailure
            {
                Kind = failure.IsSegment ? DocumentKind.Segment : DocumentKind.Flag,
                Key = failure.Key,
                Reason = failure.Reason,
            });
        }

        await requests.WriteAsync(new SyncRequest { Ack = ack }, ct).ConfigureAwait(false);
        Diagnostics.LastAckedRevision = revision;
        _started.TrySetResult();
        WriteCache(next);
    }
}
