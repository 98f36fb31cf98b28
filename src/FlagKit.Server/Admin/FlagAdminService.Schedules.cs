using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Scheduling;
using Grpc.Core;

namespace FlagKit.Server.Admin;

/// <content>Scheduled changes (<see cref="ScheduleBook"/>); applying them is the <see cref="ScheduleRunner"/>'s.</content>
internal sealed partial class FlagAdminService
{
    /// <inheritdoc />
    public override Task<ScheduledChangeInfo> ScheduleChange(ScheduleChangeRequest request, ServerCallContext context) =>
        Task.FromResult(Schedules(context).Schedule(request, ApiKeyInterceptor.GetCaller(context)));

    /// <inheritdoc />
    public override Task<ScheduleListResponse> ScheduleList(ScheduleListRequest request, ServerCallContext context) =>
        Task.FromResult(Schedules(context).List(request));

    /// <inheritdoc />
    public override Task<ScheduledChangeInfo> ScheduleGet(ScheduleGetRequest request, ServerCallContext context) =>
        Task.FromResult(Schedules(context).Get(request.Id));

    /// <inheritdoc />
    public override Task<ScheduledChangeInfo> ScheduleUpdate(ScheduleUpdateRequest request, ServerCallContext context) =>
        Task.FromResult(Schedules(context).Update(request, ApiKeyInterceptor.GetCaller(context)));

    /// <inheritdoc />
    public override Task<ScheduledChangeInfo> ScheduleCancel(ScheduleCancelRequest request, ServerCallContext context) =>
        Task.FromResult(Schedules(context).Cancel(request, ApiKeyInterceptor.GetCaller(context)));

    // Resolved per call (not a constructor dependency): the service's constructor is shared with other areas.
    private static ScheduleBook Schedules(ServerCallContext context) =>
        context.GetHttpContext().RequestServices.GetRequiredService<ScheduleBook>();
}
