using FlagKit.Protocol.V1;
using FlagKit.Server.Admin;
using FlagKit.Server.Writes;
using Google.Protobuf;

namespace FlagKit.Server.Scheduling;

/// <summary>
/// The write a scheduled change holds: which admin RPC, its request, and what it is in words. Converts between the
/// API's <see cref="ScheduleChangeRequest"/> (a oneof of the write requests) and what the store keeps (RPC name and
/// request bytes).
/// </summary>
/// <param name="Rpc">The admin RPC's name.</param>
/// <param name="Request">Its request.</param>
/// <param name="Environment">The environment it writes.</param>
/// <param name="Target">What it targets (as the audit names it).</param>
/// <param name="Description">What it does (as history's operation names it).</param>
internal sealed record ScheduledWrite(string Rpc, IMessage Request, string Environment, string Target, string Description)
{
    /// <summary>Whether it is an edit (replaces or archives documents, as they were when it was scheduled) rather than a state change.</summary>
    public bool IsEdit => Rpc is nameof(FlagAdminService.PutDocument) or nameof(FlagAdminService.ArchiveDocument) or nameof(FlagAdminService.ApplyFile);

    /// <summary>The write of an API request, checked as far as it can be before it is due (documents parse, a dry run is refused).</summary>
    /// <param name="request">The request.</param>
    /// <returns>The write.</returns>
    /// <exception cref="WriteRefusedException">Invalid: no write, a dry run, a document that does not parse.</exception>
    public static ScheduledWrite From(ScheduleChangeRequest request) => request.WriteCase switch
    {
        ScheduleChangeRequest.WriteOneofCase.PutDocument => Put(request.PutDocument),
        ScheduleChangeRequest.WriteOneofCase.ArchiveDocument => new(nameof(FlagAdminService.ArchiveDocument), request.ArchiveDocument,
            request.ArchiveDocument.Environment, request.ArchiveDocument.Key, WriteOperations.Archive(request.ArchiveDocument.Kind)),
        ScheduleChangeRequest.WriteOneofCase.SetFlagState => new(nameof(FlagAdminService.SetFlagState), request.SetFlagState,
            request.SetFlagState.Environment, StateTarget(request.SetFlagState), WriteOperations.SetState(request.SetFlagState)),
        ScheduleChangeRequest.WriteOneofCase.SetRollout => new(nameof(FlagAdminService.SetRollout), request.SetRollout,
            request.SetRollout.Environment, request.SetRollout.Key, WriteOperations.Rollout(request.SetRollout)),
        ScheduleChangeRequest.WriteOneofCase.SetTargets => new(nameof(FlagAdminService.SetTargets), request.SetTargets,
            request.SetTargets.Environment, request.SetTargets.Key, WriteOperations.Targets(request.SetTargets)),
        ScheduleChangeRequest.WriteOneofCase.ApplyFile => File(request.ApplyFile),
        ScheduleChangeRequest.WriteOneofCase.Rollback => new(nameof(FlagAdminService.Rollback), request.Rollback, request.Rollback.Environment,
            (string.IsNullOrEmpty(request.Rollback.Key) ? "environment" : request.Rollback.Key) + "@" + request.Rollback.ToRevision,
            WriteOperations.Rollback(request.Rollback)),
        _ => throw WriteRefusedException.Invalid("ScheduleChangeRequest.write is required: the write to schedule (put_document, set_flag_state, set_rollout…)."),
    };

    /// <summary>The write a stored change holds.</summary>
    /// <param name="rpc">The RPC name.</param>
    /// <param name="bytes">The request's bytes.</param>
    /// <returns>The write.</returns>
    public static ScheduledWrite Parse(string rpc, byte[] bytes) => From(ToRequest(rpc, bytes));

    /// <summary>The API request of a stored change.</summary>
    /// <param name="rpc">The RPC name.</param>
    /// <param name="bytes">The request's bytes.</param>
    /// <returns>The request (without due time).</returns>
    public static ScheduleChangeRequest ToRequest(string rpc, byte[] bytes) => rpc switch
    {
        nameof(FlagAdminService.PutDocument) => new() { PutDocument = PutDocumentRequest.Parser.ParseFrom(bytes) },
        nameof(FlagAdminService.ArchiveDocument) => new() { ArchiveDocument = ArchiveDocumentRequest.Parser.ParseFrom(bytes) },
        nameof(FlagAdminService.SetFlagState) => new() { SetFlagState = SetFlagStateRequest.Parser.ParseFrom(bytes) },
        nameof(FlagAdminService.SetRollout) => new() { SetRollout = SetRolloutRequest.Parser.ParseFrom(bytes) },
        nameof(FlagAdminService.SetTargets) => new() { SetTargets = SetTargetsRequest.Parser.ParseFrom(bytes) },
        nameof(FlagAdminService.ApplyFile) => new() { ApplyFile = ApplyFileRequest.Parser.ParseFrom(bytes) },
        nameof(FlagAdminService.Rollback) => new() { Rollback = RollbackRequest.Parser.ParseFrom(bytes) },
        _ => throw new InvalidOperationException($"A scheduled change names the unknown RPC '{rpc}'."),
    };

    /// <summary>The request's write options (created when absent), to annotate before it runs.</summary>
    /// <returns>The options object inside <see cref="Request"/>.</returns>
    public WriteOptions Options()
    {
        switch (Request)
        {
            case PutDocumentRequest r: return r.Options ??= new WriteOptions();
            case ArchiveDocumentRequest r: return r.Options ??= new WriteOptions();
            case SetFlagStateRequest r: return r.Options ??= new WriteOptions();
            case SetRolloutRequest r: return r.Options ??= new WriteOptions();
            case SetTargetsRequest r: return r.Options ??= new WriteOptions();
            case ApplyFileRequest r: return r.Options ??= new WriteOptions();
            case RollbackRequest r: return r.Options ??= new WriteOptions();
            default: throw new InvalidOperationException($"{Request.Descriptor.Name} is not a schedulable write.");
        }
    }

    private static ScheduledWrite Put(PutDocumentRequest request)
    {
        var key = request.Kind switch
        {
            DocumentKind.Flag => DocumentCodec.ParseFlag(request.Json.Span).Key,
            DocumentKind.Segment => DocumentCodec.ParseSegment(request.Json.Span).Key,
            _ => throw WriteRefusedException.Invalid("PutDocumentRequest.kind is required (flag or segment)."),
        };
        return new(nameof(FlagAdminService.PutDocument), request, request.Environment, key, WriteOperations.Put(request.Kind));
    }

    private static ScheduledWrite File(ApplyFileRequest request)
    {
        if (request.DryRun)
        {
            throw WriteRefusedException.Invalid("ApplyFileRequest.dry_run cannot be scheduled: a dry run answers now (run it without scheduling).");
        }

        DocumentCodec.ParseFile(request.FileJson.Span);
        return new(nameof(FlagAdminService.ApplyFile), request, request.Environment, "file", WriteOperations.ApplyFile(request));
    }

    private static string StateTarget(SetFlagStateRequest request) =>
        !string.IsNullOrEmpty(request.Key) ? request.Key : !string.IsNullOrEmpty(request.Tag) ? "tag:" + request.Tag : "incident:" + request.Incident;
}
