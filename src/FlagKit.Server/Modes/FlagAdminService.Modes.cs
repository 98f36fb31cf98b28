using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Modes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace FlagKit.Server.Admin;

/// <content>
/// The mode RPCs: operating modes and maintenance windows (<see cref="ModeCatalog"/>). Refusals are
/// <see cref="Writes.WriteRefusedException"/>s, mapped at the edge like every write's.
/// </content>
internal sealed partial class FlagAdminService
{
    private const int MaxModeHistory = 1000;

    /// <inheritdoc />
    public override Task<ModeStateResponse> GetModes(ModeGetRequest request, ServerCallContext context) =>
        Task.FromResult(Modes(context).Get(request.Environment));

    /// <inheritdoc />
    public override Task<ModeWriteResponse> SetModeSwitch(ModeSwitchRequest request, ServerCallContext context) =>
        Modes(context).SetSwitchAsync(request, ApiKeyInterceptor.GetCaller(context).Actor, context.CancellationToken);

    /// <inheritdoc />
    public override Task<ModeWriteResponse> ScheduleMaintenance(MaintenanceScheduleRequest request, ServerCallContext context) =>
        Modes(context).ScheduleAsync(request, ApiKeyInterceptor.GetCaller(context).Actor, context.CancellationToken);

    /// <inheritdoc />
    public override Task<ModeWriteResponse> CancelMaintenance(MaintenanceCancelRequest request, ServerCallContext context) =>
        Modes(context).CancelAsync(request, ApiKeyInterceptor.GetCaller(context).Actor, context.CancellationToken);

    /// <inheritdoc />
    public override Task<ModeHistoryResponse> GetModeHistory(ModeHistoryRequest request, ServerCallContext context)
    {
        var limit = request.Limit <= 0 ? 100 : Math.Min(request.Limit, MaxModeHistory);
        var response = new ModeHistoryResponse();
        response.Entries.AddRange(Modes(context).History(request.Environment, limit).Select(h => new ModeHistoryEntry
        {
            Version = h.Version,
            Action = h.Action,
            Author = h.Author,
            Comment = h.Comment,
            Time = Timestamp.FromDateTimeOffset(h.Time),
            Summary = h.Summary,
            BeforeJson = h.Before is null ? ByteString.Empty : ByteString.CopyFrom(h.Before),
            AfterJson = ByteString.CopyFrom(h.After),
        }));
        return Task.FromResult(response);
    }

    // Resolved per call rather than through the constructor, so that the mode RPCs stay apart from the rest of the service.
    private static ModeCatalog Modes(ServerCallContext context) => context.GetHttpContext().RequestServices.GetRequiredService<ModeCatalog>();
}
