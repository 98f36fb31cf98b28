using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using FlagKit.Server.Store;
using FlagKit.Server.Sync;
using FlagKit.Server.Writes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Admin;

/// <summary>
/// <c>flagkit.v1.FlagAdmin</c>: what ops use to change flags. Every write goes through
/// <see cref="EnvironmentCatalog.WriteAsync"/> (idempotency, expected revision, the SDK's compiler, durable commit,
/// publish); reads come from the last committed state or, for history and audit, from the store.
/// </summary>
/// <remarks>Only admin keys reach it (<see cref="ApiKeyInterceptor"/>).</remarks>
internal sealed partial class FlagAdminService : FlagAdmin.FlagAdminBase
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;

    private readonly EnvironmentCatalog _catalog;
    private readonly IHistoryStore _db;
    private readonly ApiKeyRegistry _keys;
    private readonly HubRegistry _hubs;
    private readonly InstanceRegistry _instances;
    private readonly TimeProvider _time;
    private readonly FlagServerOptions _options;

    /// <summary>Creates the service.</summary>
    /// <param name="catalog">Environments and the write pipeline.</param>
    /// <param name="db">The store (history, audit).</param>
    /// <param name="keys">API keys.</param>
    /// <param name="hubs">Hubs (to end a revoked key's streams).</param>
    /// <param name="instances">Connected SDK instances.</param>
    /// <param name="options">Limits (message and document sizes).</param>
    /// <param name="time">The clock (the time recorded with a kill).</param>
    public FlagAdminService(EnvironmentCatalog catalog, IHistoryStore db, ApiKeyRegistry keys, HubRegistry hubs, InstanceRegistry instances, IOptions<FlagServerOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _catalog = catalog;
        _db = db;
        _keys = keys;
        _hubs = hubs;
        _instances = instances;
    }

    /// <inheritdoc />
    public override Task<ListEnvironmentsResponse> ListEnvironments(ListEnvironmentsRequest request, ServerCallContext context)
    {
        var response = new ListEnvironmentsResponse();
        response.Environments.AddRange(_catalog.All.Select(Info));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override async Task<EnvironmentInfo> CreateEnvironment(CreateEnvironmentRequest request, ServerCallContext context)
    {
        var state = await _catalog.CreateAsync(request.Name, ApiKeyInterceptor.GetCaller(context).Actor, request.Comment, context.CancellationToken).ConfigureAwait(false);
        return Info(state);
    }

    /// <inheritdoc />
    public override Task<ListFlagsResponse> ListFlags(ListFlagsRequest request, ServerCallContext context)
    {
        var state = _catalog.Get(request.Environment);
        var matching = state.LiveFlags
            .Where(e => string.IsNullOrEmpty(request.PageToken) || string.CompareOrdinal(e.Stored.Key, request.PageToken) > 0)
            .Where(e => string.IsNullOrEmpty(request.Tag) || e.Flag!.Tags.Contains(request.Tag, StringComparer.Ordinal))
            .Where(e => request.State switch
            {
                FlagStateFilter.On => e.Flag!.On && !e.Flag.Killed,
                FlagStateFilter.Off => !e.Flag!.On && !e.Flag.Killed,
                FlagStateFilter.Killed => e.Flag!.Killed,
                _ => true,
            });
        return Task.FromResult(DocumentPages.ListFlags(state, matching, request.PageSize, _options.MaxMessageBytes));
    }

    /// <inheritdoc />
    public override Task<DocumentRecord> GetFlag(GetDocumentRequest request, ServerCallContext context) =>
        Task.FromResult(GetDocument(request, DocumentKind.Flag));

    /// <inheritdoc />
    public override Task<ListSegmentsResponse> ListSegments(ListSegmentsRequest request, ServerCallContext context)
    {
        var state = _catalog.Get(request.Environment);
        var response = new ListSegmentsResponse { EnvironmentRevision = state.Revision };
        response.Segments.AddRange(state.LiveSegments.Select(e => Record(e, state)));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<DocumentRecord> GetSegment(GetDocumentRequest request, ServerCallContext context) =>
        Task.FromResult(GetDocument(request, DocumentKind.Segment));

    /// <inheritdoc />
    public override Task<WriteResponse> PutDocument(PutDocumentRequest request, ServerCallContext context)
    {
        var edit = request.Kind switch
        {
            DocumentKind.Flag => DocumentEdit.Put(DocumentCodec.ParseFlag(request.Json.Span)),
            DocumentKind.Segment => DocumentEdit.Put(DocumentCodec.ParseSegment(request.Json.Span)),
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "The document kind is required (flag or segment).")),
        };
        return WriteAsync(context, request.Environment, request.Options, nameof(PutDocument), edit.Key, request, _ => [edit],
            WriteOperations.Put(request.Kind));
    }

    /// <inheritdoc />
    public override Task<WriteResponse> ArchiveDocument(ArchiveDocumentRequest request, ServerCallContext context)
    {
        RequireKind(request.Kind);
        return WriteAsync(context, request.Environment, request.Options, nameof(ArchiveDocument), request.Key, request, state =>
            state.Find(request.Kind, request.Key) is { IsLive: true }
                ? [DocumentEdit.Archive(request.Kind, request.Key)]
                : throw new RpcException(new Status(StatusCode.NotFound, $"{EnvironmentCatalog.KindName(request.Kind)} '{request.Key}' is not live in environment '{state.Name}'.")),
            WriteOperations.Archive(request.Kind));
    }

    /// <inheritdoc />
    public override Task<WriteResponse> SetFlagState(SetFlagStateRequest request, ServerCallContext context) =>
        WriteAsync(context, request.Environment, request.Options, nameof(SetFlagState),
            !string.IsNullOrEmpty(request.Key) ? request.Key : !string.IsNullOrEmpty(request.Tag) ? "tag:" + request.Tag : "incident:" + request.Incident,
            request, state => FlagEdits.SetState(state, request, ApiKeyInterceptor.GetCaller(context).Actor, _time.GetUtcNow()),
            WriteOperations.SetState(request), urgent: true);

    /// <inheritdoc />
    public override Task<WriteResponse> SetRollout(SetRolloutRequest request, ServerCallContext context) =>
        WriteAsync(context, request.Environment, request.Options, nameof(SetRollout), request.Key, request, state => FlagEdits.SetRollout(state, request),
            WriteOperations.Rollout(request));

    /// <inheritdoc />
    public override Task<WriteResponse> SetTargets(SetTargetsRequest request, ServerCallContext context) =>
        WriteAsync(context, request.Environment, request.Options, nameof(SetTargets), request.Key, request,
            state => FlagEdits.SetTargets(state, request, _options.MaxDocumentBytes), WriteOperations.Targets(request));

    /// <inheritdoc />
    public override Task<WriteResponse> ApplyFile(ApplyFileRequest request, ServerCallContext context)
    {
        var file = DocumentCodec.ParseFile(request.FileJson.Span);
        return WriteAsync(context, request.Environment, request.Options, nameof(ApplyFile), "file", request,
            state => FlagEdits.ApplyFile(state, file, request.Prune), WriteOperations.ApplyFile(request), dryRun: request.DryRun);
    }

    /// <inheritdoc />
    public override Task<ExportFileResponse> ExportFile(ExportFileRequest request, ServerCallContext context)
    {
        var state = _catalog.Get(request.Environment);
        var file = DocumentCodec.Serialize(state.ToFile());
        if (file.Length > DocumentPages.AnswerBudget(_options.MaxMessageBytes))
        {
            throw WriteRefusedException.LimitExceeded(
                $"The flags file of environment '{state.Name}' is {file.Length} bytes, more than one answer holds (FlagKit:Server:MaxMessageBytes); " +
                "use ExportFileStream (the flagkit CLI's export does).");
        }

        return Task.FromResult(new ExportFileResponse { Revision = state.Revision, FileJson = UnsafeByteOperations.UnsafeWrap(file) });
    }

    /// <inheritdoc />
    public override async Task ExportFileStream(ExportFileRequest request, IServerStreamWriter<ExportFileResponse> responseStream, ServerCallContext context)
    {
        var state = _catalog.Get(request.Environment);
        var file = DocumentCodec.Serialize(state.ToFile());
        var chunk = _options.BatchChunkBytes;
        for (var offset = 0; offset == 0 || offset < file.Length; offset += chunk)
        {
            var length = Math.Min(chunk, file.Length - offset);
            await responseStream.WriteAsync(
                new ExportFileResponse { Revision = state.Revision, FileJson = UnsafeByteOperations.UnsafeWrap(file.AsMemory(offset, length)) },
                context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override Task<GetHistoryResponse> GetHistory(GetHistoryRequest request, ServerCallContext context)
    {
        var state = _catalog.Get(request.Environment);
        var rows = _db.GetHistory(state.Record.Id, string.IsNullOrEmpty(request.Key) ? null : request.Key, Limit(request.Limit), request.BeforeRevision);
        var response = new GetHistoryResponse();
        response.Entries.AddRange(rows.Select(h =>
        {
            var entry = new HistoryEntry
            {
                Revision = h.Revision,
                Kind = h.Kind,
                Key = h.Key,
                Action = h.Action,
                Author = h.Author,
                Comment = h.Comment,
                Time = Timestamp.FromDateTimeOffset(h.Time),
                Summary = h.Summary,
                Operation = h.Operation,
            };
            if (h.Before is not null)
            {
                entry.BeforeJson = UnsafeByteOperations.UnsafeWrap(h.Before);
            }

            if (h.After is not null)
            {
                entry.AfterJson = UnsafeByteOperations.UnsafeWrap(h.After);
            }

            return entry;
        }));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<WriteResponse> Rollback(RollbackRequest request, ServerCallContext context) =>
        WriteAsync(context, request.Environment, request.Options, nameof(Rollback),
            (string.IsNullOrEmpty(request.Key) ? "environment" : request.Key) + "@" + request.ToRevision, request, state =>
            {
                if (request.ToRevision < 0 || request.ToRevision > state.Revision)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"Cannot roll back to revision {request.ToRevision}: environment '{state.Name}' is at revision {state.Revision}."));
                }

                return FlagEdits.Rollback(state, _db.GetStateAt(state.Record.Id, request.ToRevision), request.Kind, request.Key);
            },
            WriteOperations.Rollback(request));

    /// <inheritdoc />
    public override Task<GetAuditResponse> GetAudit(GetAuditRequest request, ServerCallContext context)
    {
        if (!string.IsNullOrEmpty(request.Environment))
        {
            _catalog.Get(request.Environment);
        }

        var response = new GetAuditResponse();
        response.Entries.AddRange(_db.GetAudit(request.Environment, Limit(request.Limit)).Select(a => new AuditEntry
        {
            Id = a.Id,
            Time = Timestamp.FromDateTimeOffset(a.Time),
            Actor = a.Actor,
            Action = a.Action,
            Environment = a.Environment,
            Target = a.Target,
            Revision = a.Revision,
            Detail = a.Detail,
        }));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<ListInstancesResponse> ListInstances(ListInstancesRequest request, ServerCallContext context)
    {
        var response = new ListInstancesResponse();
        if (!string.IsNullOrEmpty(request.Environment))
        {
            response.EnvironmentRevision = _catalog.Get(request.Environment).Revision;
        }

        var instances = _instances.List(request.Environment);
        response.Instances.AddRange(context.GetHttpContext().RequestServices.GetService<Replication.FleetInstances>() is { } fleet ? fleet.Merge(instances, request.Environment) : instances);
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<CreateApiKeyResponse> CreateApiKey(CreateApiKeyRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100 || request.Name.Any(char.IsControl)
            || char.IsWhiteSpace(request.Name[0]) || char.IsWhiteSpace(request.Name[^1]))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                "The key name is required: at most 100 characters, no control characters (newline, tab…), no leading or trailing space."));
        }

        string? environment = null;
        switch (request.Role)
        {
            case ApiKeyRole.Sdk:
                environment = _catalog.Get(request.Environment).Name;
                break;
            case ApiKeyRole.Admin or ApiKeyRole.Viewer:
                if (!string.IsNullOrEmpty(request.Environment))
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "Admin and viewer keys are not bound to an environment; leave it empty."));
                }

                break;
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, "The role is required (sdk, admin or viewer)."));
        }

        var (key, secret) = _keys.Create(request.Name, request.Role, environment, ApiKeyInterceptor.GetCaller(context).Actor);
        return Task.FromResult(new CreateApiKeyResponse { Key = KeyInfo(key), Secret = secret });
    }

    /// <inheritdoc />
    public override Task<ListApiKeysResponse> ListApiKeys(ListApiKeysRequest request, ServerCallContext context)
    {
        var response = new ListApiKeysResponse();
        response.Keys.AddRange(_keys.List().Select(KeyInfo));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<RevokeApiKeyResponse> RevokeApiKey(RevokeApiKeyRequest request, ServerCallContext context)
    {
        ApiKeyRecord? revoked;
        try
        {
            revoked = _keys.Revoke(request.Id, ApiKeyInterceptor.GetCaller(context).Actor);
        }
        catch (InvalidOperationException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }

        if (revoked is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"No live API key has the id '{request.Id}'."));
        }

        _hubs.EndKey(revoked.Id);
        return Task.FromResult(new RevokeApiKeyResponse { Key = KeyInfo(revoked) });
    }

    private Task<WriteResponse> WriteAsync(
        ServerCallContext context, string environment, FlagKit.Protocol.V1.WriteOptions? options, string action, string target, IMessage request,
        Func<EnvironmentState, IReadOnlyList<DocumentEdit>> plan, string operation, bool dryRun = false, bool urgent = false) =>
        _catalog.WriteAsync(
            new WriteCommand(environment, options, ApiKeyInterceptor.GetCaller(context), action, target, request, dryRun,
                context is Scheduling.ScheduledCallContext scheduled ? scheduled.Annotate(operation) : operation, urgent),
            context is Scheduling.ScheduledCallContext due ? due.Guard(plan) : plan, context.CancellationToken);

    private DocumentRecord GetDocument(GetDocumentRequest request, DocumentKind kind)
    {
        var state = _catalog.Get(request.Environment);
        return state.Find(kind, request.Key) is { IsLive: true } entry
            ? Record(entry, state)
            : throw new RpcException(new Status(StatusCode.NotFound, $"{EnvironmentCatalog.KindName(kind)} '{request.Key}' does not exist in environment '{state.Name}'."));
    }

    private static void RequireKind(DocumentKind kind)
    {
        if (kind is not (DocumentKind.Flag or DocumentKind.Segment))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The document kind is required (flag or segment)."));
        }
    }

    private static int Limit(int requested) => requested <= 0 ? DefaultLimit : Math.Min(requested, MaxLimit);

    private static EnvironmentInfo Info(EnvironmentState state) => new()
    {
        Name = state.Name,
        Revision = state.Revision,
        CreatedAt = Timestamp.FromDateTimeOffset(state.Record.CreatedAt),
        FlagCount = state.LiveFlagCount,
        SegmentCount = state.LiveSegments.Count(),
    };

    /// <summary>A document as the admin API returns it.</summary>
    /// <param name="entry">The document.</param>
    /// <param name="state">The state it belongs to.</param>
    /// <returns>The record.</returns>
    internal static DocumentRecord Record(DocumentEntry entry, EnvironmentState state) => new()
    {
        Kind = entry.Stored.Kind,
        Key = entry.Stored.Key,
        Json = entry.Wire.Json,
        Version = entry.Stored.Version,
        Revision = entry.Stored.Revision,
        UpdatedAt = Timestamp.FromDateTimeOffset(entry.Stored.UpdatedAt),
        UpdatedBy = entry.Stored.UpdatedBy,
        EnvironmentRevision = state.Revision,
    };

    private static ApiKeyInfo KeyInfo(ApiKeyRecord key) => new()
    {
        Id = key.Id,
        Name = key.Name,
        Role = key.Role,
        Environment = key.Environment ?? "",
        CreatedAt = Timestamp.FromDateTimeOffset(key.CreatedAt),
        Revoked = key.RevokedAt is not null,
        Prefix = key.Prefix,
    };
}
